package dev.creddy.anthropic.web;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.api.RetryHint;
import dev.creddy.anthropic.token.TokenLimits;
import dev.creddy.anthropic.token.TokenRecord;
import dev.creddy.anthropic.usage.Admission;
import java.time.Duration;
import java.time.Instant;

/**
 * The 429 {@code rate_limit_error} for a request its token's limits refused. Over {@code rpm} or
 * {@code tpm}, waiting helps: {@code retry-after} says until the window ends. A spent
 * {@code max_tokens_total} never refills, so the client is told not to retry
 * ({@code x-should-retry: false}) and no {@code retry-after} pretends otherwise. Stateless.
 */
final class LimitRefusal {

    private LimitRefusal() {
    }

    static ApiError of(TokenRecord caller, Admission refused, Instant now) {
        TokenLimits limits = caller.limits();
        String limit = refused.refusedBy().orElseThrow();
        if (limit.equals("max_tokens_total")) {
            return new ApiError(429, "rate_limit_error", "token budget spent: this token may use "
                    + limits.maxTokensTotal().orElseThrow() + " tokens (max_tokens_total) and has used "
                    + refused.tokensTotal() + "; ask for a new token", RetryHint.never());
        }
        Duration wait = Duration.between(now, refused.windowResetsAt());
        String message = limit.equals("rpm")
                ? "rate limit exceeded: this token may send " + limits.rpm().orElseThrow()
                        + (limits.rpm().orElseThrow() == 1 ? " request" : " requests") + " per minute (rpm)"
                : "rate limit exceeded: this token may use " + limits.tpm().orElseThrow() + " tokens per minute (tpm) and has used "
                        + refused.tokensInWindow() + " this minute";
        return new ApiError(429, "rate_limit_error", message + "; the window resets at " + refused.windowResetsAt(),
                RetryHint.after(wait.isNegative() || wait.isZero() ? Duration.ofSeconds(1) : wait));
    }
}
