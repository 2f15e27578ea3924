package dev.creddy.anthropic.web;

import dev.creddy.anthropic.usage.UsageLedger;
import jakarta.json.bind.annotation.JsonbProperty;
import jakarta.json.bind.annotation.JsonbPropertyOrder;

/**
 * What one token has used, as {@code /v1/tokens/self} shows it: the total over its life, and the
 * current one-minute window that {@code rpm} and {@code tpm} count in.
 */
@JsonbPropertyOrder({"total", "currentMinute"})
public record TokenUsageView(UsageView total, @JsonbProperty("current_minute") Window currentMinute) {

    static TokenUsageView of(UsageLedger.TokenUsage usage) {
        return new TokenUsageView(UsageView.of(usage.total()),
                new Window(usage.requestsInWindow(), usage.tokensInWindow(), usage.windowResetsAt().toString()));
    }

    /** The current window's counters and when they start again from zero. */
    @JsonbPropertyOrder({"requests", "tokens", "resetsAt"})
    public record Window(long requests, long tokens, @JsonbProperty("resets_at") String resetsAt) {
    }
}
