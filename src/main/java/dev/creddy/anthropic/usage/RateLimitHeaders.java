package dev.creddy.anthropic.usage;

import dev.creddy.anthropic.token.TokenLimits;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The headers that tell a client where its token stands against its own limits, shaped like
 * Anthropic's {@code anthropic-ratelimit-*} headers but named {@code creddy-ratelimit-*}: a forwarded
 * response keeps the upstream's headers, which describe the organisation's limits, not the token's.
 * Only limits the token has get headers. Stateless.
 *
 * <ul>
 * <li>{@code creddy-ratelimit-requests-limit}, {@code -remaining}, {@code -reset} for {@code rpm};</li>
 * <li>{@code creddy-ratelimit-tokens-limit}, {@code -remaining}, {@code -reset} for {@code tpm};</li>
 * <li>{@code creddy-budget-tokens-limit}, {@code creddy-budget-tokens-remaining} for {@code max_tokens_total}.</li>
 * </ul>
 * Resets are RFC 3339 times, as Anthropic sends them.
 */
public final class RateLimitHeaders {

    private RateLimitHeaders() {
    }

    /** The headers for a token with {@code limits}, judged by {@code admission}, in the order they are sent. */
    public static Map<String, String> of(TokenLimits limits, Admission admission) {
        Map<String, String> headers = new LinkedHashMap<>();
        String reset = admission.windowResetsAt().toString();
        limits.rpm().ifPresent(rpm -> {
            headers.put("creddy-ratelimit-requests-limit", Long.toString(rpm));
            headers.put("creddy-ratelimit-requests-remaining", Long.toString(Math.max(0, rpm - admission.requestsInWindow())));
            headers.put("creddy-ratelimit-requests-reset", reset);
        });
        limits.tpm().ifPresent(tpm -> {
            headers.put("creddy-ratelimit-tokens-limit", Long.toString(tpm));
            headers.put("creddy-ratelimit-tokens-remaining", Long.toString(Math.max(0, tpm - admission.tokensInWindow())));
            headers.put("creddy-ratelimit-tokens-reset", reset);
        });
        limits.maxTokensTotal().ifPresent(budget -> {
            headers.put("creddy-budget-tokens-limit", Long.toString(budget));
            headers.put("creddy-budget-tokens-remaining", Long.toString(Math.max(0, budget - admission.tokensTotal())));
        });
        return headers;
    }
}
