package dev.creddy.anthropic.web;

import dev.creddy.anthropic.usage.UsageLedger;
import jakarta.json.bind.annotation.JsonbProperty;
import jakarta.json.bind.annotation.JsonbPropertyOrder;

/**
 * What one token has used, as {@code /v1/tokens/self} shows it: the total over its life, and the
 * current one-minute window that {@code rpm} and {@code tpm} count in. Immutable.
 */
@JsonbPropertyOrder({"total", "currentMinute"})
public record TokenUsageView(UsageView total, @JsonbProperty("current_minute") Window currentMinute) {

    /**
     * @param counted whether the token has a limit counted before forwarding ({@code rpm}, {@code tpm},
     *     {@code max_tokens_total}): only then is each request admitted, and so counted, in the window.
     *     Otherwise the window's {@code requests} is left out rather than shown as a 0 that never moves.
     */
    static TokenUsageView of(UsageLedger.TokenUsage usage, boolean counted) {
        return new TokenUsageView(UsageView.of(usage.total()),
                new Window(counted ? usage.requestsInWindow() : null, usage.tokensInWindow(), usage.windowResetsAt().toString()));
    }

    /** The current window's counters and when they start again from zero; {@code requests} is null when not counted. */
    @JsonbPropertyOrder({"requests", "tokens", "resetsAt"})
    public record Window(Long requests, long tokens, @JsonbProperty("resets_at") String resetsAt) {
    }
}
