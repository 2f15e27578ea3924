package dev.creddy.anthropic.docs;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.forward.Outcome;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every {@code outcome} and {@code reason} an audit line can carry, with what it means, for the table
 * in {@code docs/operations.md}. Forward outcomes come from {@link Outcome#wireName()} (each kind
 * must be described here, or {@link ReferenceDocsTest} fails); refusal outcomes are the Anthropic
 * error types of the statuses the proxy refuses with ({@link ApiError#typeFor}); refusal reasons are
 * listed here and {@link ReferenceDocsTest} checks each against the code. Stateless.
 */
final class AuditVocabulary {

    /** One row: the event it belongs to, the field, the value, and its meaning. */
    record Row(String event, String field, String value, String meaning) {
    }

    static final Map<Outcome, String> FAILURES = new EnumMap<>(Outcome.class);

    static {
        FAILURES.put(Outcome.UPSTREAM_UNREACHABLE, "the upstream could not be reached (502)");
        FAILURES.put(Outcome.UPSTREAM_TIMEOUT, "no response headers within `upstream-header-timeout` (504)");
        FAILURES.put(Outcome.UPSTREAM_IDLE, "the response went silent longer than `upstream-idle-timeout`");
        FAILURES.put(Outcome.UPSTREAM_FAILED, "the upstream connection broke, or the upstream misbehaved (502, or a mid-stream error event)");
        FAILURES.put(Outcome.UPSTREAM_HEAD_TOO_LARGE, "the upstream's response head had too many headers or too long a line (502)");
        FAILURES.put(Outcome.UPSTREAM_BUSY, "no upstream connection came free within `upstream-pool-wait` (503 with `retry-after`)");
        FAILURES.put(Outcome.REQUEST_TOO_LARGE, "the request body grew past `max-request-body` / `max-upload-body` (413)");
        FAILURES.put(Outcome.REQUEST_BODY_TIMEOUT, "the request body took longer than `request-body-timeout` to arrive (408)");
        FAILURES.put(Outcome.REQUEST_BODY_MALFORMED, "the request body's chunked framing was broken (400)");
        FAILURES.put(Outcome.MODEL_REFUSED, "the body named a model outside the token's `models`, or none the check could read (403 or 400), or, for a token held to a dollar budget, a model the price table does not know (400)");
        FAILURES.put(Outcome.FILE_REFUSED, "the body named a file (`file_id`, at any depth) that is not its agent's: another agent's, or one the proxy has no owner for (404 `not_found_error`, nothing forwarded), or the owner store could not be asked (503), or a body the check cannot read: not JSON (400), a `Content-Encoding` other than gzip or deflate (415)");
        FAILURES.put(Outcome.BUDGET_REFUSED, "a dollar budget (the token's `max_cost_usd`, its agent's `agent-budgets`) had nothing left to reserve (429; `x-should-retry: false` for `max_cost_usd`), or Redis holding it could not be asked (503)");
        FAILURES.put(Outcome.CLIENT_DISCONNECTED, "the client went away before the end; it is charged what the upstream reported");
        FAILURES.put(Outcome.PROXY_FAILED, "the proxy itself failed (a bug; 500)");
        FAILURES.put(Outcome.REVOKED, "the token was revoked while the exchange ran: a stream ends with an `error` event (401 before the head)");
        FAILURES.put(Outcome.STOPPED, "the proxy stopped and `shutdown-grace` ran out before the exchange ended: a stream "
                + "gets an `api_error` event, a response not yet begun a `503`, any other a broken connection");
        FAILURES.put(Outcome.BUDGET_EXCEEDED, "the response took its token over its budget under `budget-enforcement=strict`: it was ended like a revoked one");
    }

    /** Statuses the proxy answers a refused request with, before anything is forwarded. */
    private static final int[] REFUSAL_STATUSES = {400, 401, 403, 404, 413, 429, 503};

    /** The {@code reason} of a {@code rejected} line: the word, and what it means. */
    static final Map<String, String> REASONS = new LinkedHashMap<>();

    static {
        REASONS.put("missing", "no token was sent (401)");
        REASONS.put("malformed", "not a `crd_` token, or not a bearer credential (401)");
        REASONS.put("conflicting", "`x-api-key` and `Authorization` carry different tokens (401)");
        REASONS.put("unknown", "the token is unknown, expired or revoked (401)");
        REASONS.put("ip_restricted", "the client is outside the token's `ip_restriction` (403)");
        REASONS.put("identity_invalid", "an identity token that proves nothing: forged, expired, wrong issuer or audience (401)");
        REASONS.put("identity_forbidden", "an identity token without the required scope, or with a bad agent name (403)");
        REASONS.put("issuer_unavailable", "the identity token's issuer cannot be reached and no keys are cached (503)");
        REASONS.put("not_configured", "the proxy has no real key (503)");
        REASONS.put("body_too_large", "the declared body is over the limit (413)");
        REASONS.put("not_forwardable", "a valid token on a path the proxy does not forward (404)");
        REASONS.put("endpoint_refused", "an endpoint outside the token's `endpoints`, or a batch created by a token that counts tokens or dollars or of an agent with a dollar budget (403)");
        REASONS.put("query_credentials", "a credential in the query string, which would be forwarded upstream (400)");
        REASONS.put("unknown_endpoint", "a token with model or counted limits on a path that is not exactly a known endpoint, or any token on such a Files or Batches path (404)");
        REASONS.put("connections_per_token", "the token already holds `upstream-connections-per-token` upstream connections (429)");
        REASONS.put("concurrency_limited", "the token's `max_concurrent` or its agent's `agent-concurrency` requests are in flight (429 with `retry-after`)");
        REASONS.put("rate_limited", "the token's `rpm`, `tpm` or `max_tokens_total` is reached (429)");
        REASONS.put("token_store_unavailable", "Redis could not be asked, so the token was neither accepted nor refused (503)");
        REASONS.put("object_of_another_agent", "a file or batch another agent created through the proxy, answered as if it did not exist (404)");
        REASONS.put("object_unknown", "a file or batch id the proxy has no owner for: not created through it, or never (404)");
    }

    private AuditVocabulary() {
    }

    static List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        rows.add(new Row("forward", "outcome", Outcome.COMPLETED.wireName(),
                "the response reached the client to its last byte, whatever its status"));
        for (Map.Entry<Outcome, String> failure : FAILURES.entrySet()) {
            rows.add(new Row("forward", "outcome", failure.getKey().wireName(), failure.getValue()));
        }
        List<String> types = new ArrayList<>();
        for (int status : REFUSAL_STATUSES) {
            String type = ApiError.typeFor(status);
            if (!types.contains(type)) {
                types.add(type);
            }
        }
        for (String type : types) {
            rows.add(new Row("rejected", "outcome", type, "the Anthropic error type the client got"));
        }
        REASONS.forEach((reason, meaning) -> rows.add(new Row("rejected", "reason", reason, meaning)));
        rows.add(new Row("token_issued, token_revoked, token_returned", "outcome", "ok", "the token event happened"));
        rows.add(new Row("token_expired", "outcome", "expired", "the store dropped the token when its lifetime ran out"));
        return rows;
    }
}
