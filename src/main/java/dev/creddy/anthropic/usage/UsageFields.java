package dev.creddy.anthropic.usage;

import jakarta.json.JsonObject;

/**
 * The four token counts of a response as its {@code usage} objects arrive: each field present in a
 * later object overwrites the earlier one, because Anthropic's counts are cumulative (a stream's
 * {@code message_delta.usage} repeats the totals so far, not increments). Confined to one meter.
 */
final class UsageFields {

    private long input;
    private long output;
    private long cacheCreation;
    private long cacheRead;

    /** Starts again from zero (a new message). */
    void reset() {
        input = 0;
        output = 0;
        cacheCreation = 0;
        cacheRead = 0;
    }

    /** Takes every count {@code usage} carries; absent and null counts leave the earlier value. */
    void overwrite(JsonObject usage) {
        input = CapturedJson.tokens(usage, "input_tokens").orElse(input);
        output = CapturedJson.tokens(usage, "output_tokens").orElse(output);
        cacheCreation = CapturedJson.tokens(usage, "cache_creation_input_tokens").orElse(cacheCreation);
        cacheRead = CapturedJson.tokens(usage, "cache_read_input_tokens").orElse(cacheRead);
    }

    Usage usage() {
        return Usage.ofTokens(input, output, cacheCreation, cacheRead);
    }
}
