package dev.creddy.anthropic.web;

import dev.creddy.anthropic.usage.Usage;
import jakarta.json.bind.annotation.JsonbProperty;
import jakarta.json.bind.annotation.JsonbPropertyOrder;

/**
 * Usage as the JSON endpoints show it, in Anthropic's field names, with {@code tokens} the sum that
 * limits count.
 */
@JsonbPropertyOrder({"requests", "errors", "inputTokens", "outputTokens", "cacheCreationInputTokens", "cacheReadInputTokens",
    "tokens"})
public record UsageView(
        long requests,
        long errors,
        @JsonbProperty("input_tokens") long inputTokens,
        @JsonbProperty("output_tokens") long outputTokens,
        @JsonbProperty("cache_creation_input_tokens") long cacheCreationInputTokens,
        @JsonbProperty("cache_read_input_tokens") long cacheReadInputTokens,
        long tokens) {

    static UsageView of(Usage usage) {
        return new UsageView(usage.requests(), usage.errors(), usage.inputTokens(), usage.outputTokens(),
                usage.cacheCreationInputTokens(), usage.cacheReadInputTokens(), usage.tokens());
    }
}
