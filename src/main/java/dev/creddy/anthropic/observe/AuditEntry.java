package dev.creddy.anthropic.observe;

import jakarta.json.bind.annotation.JsonbProperty;
import jakarta.json.bind.annotation.JsonbPropertyOrder;

/**
 * One line of the audit trail. Null fields are left out of the JSON. Never holds a secret: the
 * token appears only as its id. Immutable.
 *
 * @param timestamp when the request ended, ISO-8601 UTC
 * @param event {@code forward} or {@code rejected} (forwarding), {@code token_issued}, …
 * @param exchange the proxy's id for the exchange, to correlate with the container's logs
 * @param agent the token's agent name
 * @param tokenId the token's id
 * @param client the client's address
 * @param method the HTTP method
 * @param path the request path within the application
 * @param status the status the client got (0 when it went away before any)
 * @param outcome how it ended: {@code completed}, {@code upstream_failed}, {@code client_disconnected}, …
 * @param durationMs from arrival to completion
 * @param upstreamRequestId the upstream's {@code request-id}, when it answered
 */
@JsonbPropertyOrder({"timestamp", "event", "exchange", "agent", "tokenId", "client", "method", "path", "status",
        "outcome", "durationMs", "upstreamRequestId"})
public record AuditEntry(
        String timestamp,
        String event,
        String exchange,
        String agent,
        @JsonbProperty("token_id") String tokenId,
        String client,
        String method,
        String path,
        int status,
        String outcome,
        @JsonbProperty("duration_ms") double durationMs,
        @JsonbProperty("upstream_request_id") String upstreamRequestId) {
}
