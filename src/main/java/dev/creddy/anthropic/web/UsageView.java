package dev.creddy.anthropic.web;

import dev.creddy.anthropic.usage.Usage;
import jakarta.json.bind.annotation.JsonbProperty;
import jakarta.json.bind.annotation.JsonbPropertyOrder;

/**
 * Usage as the JSON endpoints show it, in Anthropic's field names, with {@code tokens} the sum that
 * limits count.
 */
@JsonbPropertyOrder({"requests", "errors", "inputTokens", "outputTokens", "cacheCreationInputTokens", "cacheReadInputTokens",
    "tokens", "costUsd", "unpriced", "partial"})
public record UsageView(
        long requests,
        long errors,
        @JsonbProperty("input_tokens") long inputTokens,
        @JsonbProperty("output_tokens") long outputTokens,
        @JsonbProperty("cache_creation_input_tokens") long cacheCreationInputTokens,
        @JsonbProperty("cache_read_input_tokens") long cacheReadInputTokens,
        long tokens,
        @JsonbProperty("cost_usd") java.math.BigDecimal costUsd,
        Long unpriced,
        Long partial) {

    /**
     * {@code cost_usd} is the priced responses' cost (six decimals); {@code unpriced} (responses of a model
     * the price table does not know) and {@code partial} (responses cut before their last usage report)
     * appear only when not zero.
     */
    static UsageView of(Usage usage) {
        return new UsageView(usage.requests(), usage.errors(), usage.inputTokens(), usage.outputTokens(),
                usage.cacheCreationInputTokens(), usage.cacheReadInputTokens(), usage.tokens(),
                dev.creddy.anthropic.usage.Money.dollars(usage.costMicros()),
                usage.unpriced() == 0 ? null : usage.unpriced(), usage.partial() == 0 ? null : usage.partial());
    }
}
