package dev.creddy.anthropic.web;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.api.RetryHint;
import dev.creddy.anthropic.usage.ConcurrencyGate;
import java.time.Duration;

/**
 * The 429 {@code rate_limit_error} for a request over its token's {@code max_concurrent} or its
 * agent's {@code agent-concurrency}: a slot comes back when one of the requests in flight ends, so
 * the client is asked to retry after a second. Stateless.
 */
final class ConcurrencyRefusal {

    /** How long a client is asked to wait: streams end at any moment, so not long. */
    static final Duration RETRY = Duration.ofSeconds(1);

    private ConcurrencyRefusal() {
    }

    static ApiError of(ConcurrencyGate.Entry refused) {
        long limit = refused.limit();
        String what = refused.refusedBy().equals(ConcurrencyGate.MAX_CONCURRENT)
                ? "this token may have " + limit + (limit == 1 ? " request" : " requests") + " in flight at once (max_concurrent)"
                : "this token's agent may have " + limit + (limit == 1 ? " request" : " requests")
                        + " in flight at once across its tokens (agent-concurrency)";
        return new ApiError(429, "rate_limit_error", "too many concurrent requests: " + what
                + "; try again when one ends", RetryHint.after(RETRY));
    }
}
