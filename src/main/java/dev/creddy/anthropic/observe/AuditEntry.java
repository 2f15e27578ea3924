package dev.creddy.anthropic.observe;

import dev.creddy.anthropic.token.AgentIdentity;
import dev.creddy.anthropic.token.TokenRecord;
import dev.creddy.anthropic.usage.Usage;
import jakarta.json.bind.annotation.JsonbProperty;
import jakarta.json.bind.annotation.JsonbPropertyOrder;
import java.time.Instant;

/**
 * One line of the audit trail. Null fields are left out of the JSON. Never holds a secret: the
 * token appears only as its id. Immutable.
 *
 * @param timestamp when the request ended, ISO-8601 UTC
 * @param event {@code forward}, {@code rejected} (a request refused before forwarding), {@code token_issued},
 *     {@code token_revoked}, {@code token_returned} or {@code token_expired}
 * @param exchange the proxy's id for the exchange, to correlate with the container's logs
 * @param agent the token's agent name
 * @param tokenId the token's id
 * @param client the client's address
 * @param method the HTTP method
 * @param path the request path within the application
 * @param status the status the client got (0 when it went away before any); absent for an expiry
 * @param outcome how it ended: {@code completed}, {@code upstream_failed}, {@code client_disconnected}, …;
 *     for a refusal the Anthropic error type
 * @param durationMs from arrival to completion, for forwarded requests
 * @param upstreamRequestId the upstream's {@code request-id}, when it answered
 * @param reason why a request was refused: {@code missing}, {@code malformed}, {@code conflicting} or
 *     {@code unknown} (the token), {@code not_configured}, {@code body_too_large}, {@code not_forwardable},
 *     {@code rate_limited}, {@code token_store_unavailable}, and for identity tokens {@code ip_restricted},
 *     {@code identity_invalid}, {@code identity_forbidden}, {@code issuer_unavailable}
 * @param model the model the body named, when the token's allowlist had it read
 * @param inputTokens the response's {@code input_tokens}, when it reported usage
 * @param outputTokens the response's {@code output_tokens}, when it reported usage
 * @param cacheCreationInputTokens the response's {@code cache_creation_input_tokens}, when it reported usage
 * @param cacheReadInputTokens the response's {@code cache_read_input_tokens}, when it reported usage
 * @param identity the verified identity behind the token (issuer, subject, task, parent agent, scopes,
 *     address binding), for tokens obtained with an identity token; never the identity token itself
 * @param costUsd what the response's tokens cost in US dollars (six decimals), when they were priced
 * @param usagePartial true when the response ended before the upstream's last word on usage (a cut
 *     stream, a failure): the counts and the cost are what it had reported until then
 */
@JsonbPropertyOrder({"timestamp", "event", "exchange", "agent", "tokenId", "client", "method", "path", "status",
        "outcome", "durationMs", "upstreamRequestId", "reason", "model", "inputTokens", "outputTokens",
        "cacheCreationInputTokens", "cacheReadInputTokens", "identity", "costUsd", "usagePartial"})
public record AuditEntry(
        String timestamp,
        String event,
        String exchange,
        String agent,
        @JsonbProperty("token_id") String tokenId,
        String client,
        String method,
        String path,
        Integer status,
        String outcome,
        @JsonbProperty("duration_ms") Double durationMs,
        @JsonbProperty("upstream_request_id") String upstreamRequestId,
        String reason,
        String model,
        @JsonbProperty("input_tokens") Long inputTokens,
        @JsonbProperty("output_tokens") Long outputTokens,
        @JsonbProperty("cache_creation_input_tokens") Long cacheCreationInputTokens,
        @JsonbProperty("cache_read_input_tokens") Long cacheReadInputTokens,
        AgentIdentity identity,
        @JsonbProperty("cost_usd") java.math.BigDecimal costUsd,
        @JsonbProperty("usage_partial") Boolean usagePartial) {

    /** A line without cost. */
    public AuditEntry(String timestamp, String event, String exchange, String agent, String tokenId, String client,
            String method, String path, Integer status, String outcome, Double durationMs, String upstreamRequestId,
            String reason, String model, Long inputTokens, Long outputTokens, Long cacheCreationInputTokens,
            Long cacheReadInputTokens, AgentIdentity identity) {
        this(timestamp, event, exchange, agent, tokenId, client, method, path, status, outcome, durationMs,
                upstreamRequestId, reason, model, inputTokens, outputTokens, cacheCreationInputTokens, cacheReadInputTokens,
                identity, null, null);
    }

    /** A line without model or usage. */
    public AuditEntry(String timestamp, String event, String exchange, String agent, String tokenId, String client,
            String method, String path, Integer status, String outcome, Double durationMs, String upstreamRequestId,
            String reason) {
        this(timestamp, event, exchange, agent, tokenId, client, method, path, status, outcome, durationMs,
                upstreamRequestId, reason, null, null, null, null, null, null);
    }

    /**
     * A forwarded request's line.
     *
     * @param model the model its body named, or null when it was not read
     * @param used what it used; its token counts appear when the response reported any
     * @param identity the token's verified identity, or null
     */
    public static AuditEntry forwarded(String timestamp, String exchange, String agent, String tokenId, String client,
            String method, String path, int status, String outcome, double durationMs, String upstreamRequestId,
            String model, Usage used, AgentIdentity identity) {
        boolean metered = used.tokens() > 0;
        return new AuditEntry(timestamp, "forward", exchange, agent, tokenId, client, method, path, status, outcome,
                durationMs, upstreamRequestId, null, model, metered ? used.inputTokens() : null,
                metered ? used.outputTokens() : null, metered ? used.cacheCreationInputTokens() : null,
                metered ? used.cacheReadInputTokens() : null, identity,
                metered && used.unpriced() == 0 ? dev.creddy.anthropic.usage.Money.dollars(used.costMicros()) : null,
                used.partial() > 0 ? Boolean.TRUE : null);
    }

    /**
     * A request refused before anything was forwarded.
     *
     * @param caller the token, when it was valid (a refusal for another reason), else null
     */
    public static AuditEntry rejected(TokenRecord caller, String client, String method, String path, int status,
            String errorType, String reason) {
        return new AuditEntry(Instant.now().toString(), "rejected", null, caller == null ? null : caller.agentName(),
                caller == null ? null : caller.id().value(), client, method, path, status, errorType, null, null, reason,
                null, null, null, null, null, caller == null ? null : caller.identity().orElse(null));
    }

    /**
     * A token issued, revoked or given back through the API.
     *
     * @param identity the token's verified identity, when it has one and it is at hand, else null
     */
    public static AuditEntry tokenEvent(String event, String agent, String tokenId, String client, String method,
            String path, int status, AgentIdentity identity) {
        return new AuditEntry(Instant.now().toString(), event, null, agent, tokenId, client, method, path, status, "ok",
                null, null, null, null, null, null, null, null, identity);
    }

    /** A token whose lifetime ran out, as its store dropped it. */
    public static AuditEntry tokenExpired(TokenRecord record) {
        return new AuditEntry(Instant.now().toString(), "token_expired", null, record.agentName(), record.id().value(),
                null, null, null, null, "expired", null, null, null, null, null, null, null, null,
                record.identity().orElse(null));
    }
}
