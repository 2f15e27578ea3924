package dev.creddy.anthropic.usage;

import jakarta.json.JsonObject;
import jakarta.json.JsonString;

/**
 * The token counts of a response as its {@code usage} objects arrive: each field present in a later
 * object overwrites the earlier one, because Anthropic's counts are cumulative (a stream's
 * {@code message_delta.usage} repeats the totals so far, not increments), so nothing is counted twice.
 * Cache writes are split by lifetime from {@code cache_creation.ephemeral_5m_input_tokens} and
 * {@code ephemeral_1h_input_tokens}, which are priced apart; without that object every cache write is
 * a 5-minute one (the default lifetime). Confined to one meter.
 */
final class UsageFields {

    private long input;
    private long output;
    private long cacheCreation;
    private boolean cacheCreationTotal;
    private long cache5m;
    private long cache1h;
    private boolean cacheSplit;
    private long cacheRead;
    private String model;

    /** Starts again from zero (a new message). */
    void reset() {
        input = 0;
        output = 0;
        cacheCreation = 0;
        cacheCreationTotal = false;
        cache5m = 0;
        cache1h = 0;
        cacheSplit = false;
        cacheRead = 0;
    }

    /** Takes every count {@code usage} carries; absent and null counts leave the earlier value. */
    void overwrite(JsonObject usage) {
        input = CapturedJson.tokens(usage, "input_tokens").orElse(input);
        output = CapturedJson.tokens(usage, "output_tokens").orElse(output);
        if (CapturedJson.tokens(usage, "cache_creation_input_tokens").isPresent()) {
            cacheCreation = CapturedJson.tokens(usage, "cache_creation_input_tokens").get();
            cacheCreationTotal = true;
        }
        cacheRead = CapturedJson.tokens(usage, "cache_read_input_tokens").orElse(cacheRead);
        if (usage.get("cache_creation") instanceof JsonObject split) {
            cache5m = CapturedJson.tokens(split, "ephemeral_5m_input_tokens").orElse(cache5m);
            cache1h = CapturedJson.tokens(split, "ephemeral_1h_input_tokens").orElse(cache1h);
            cacheSplit = true;
        }
    }

    /** The model the response names (its {@code model}), when it is a string. */
    void model(Object value) {
        if (value instanceof JsonString name) {
            model = name.getString();
        }
    }

    /** The counts, unpriced. */
    Usage usage() {
        return Usage.ofTokens(input, output, cacheCreationTokens(), cacheRead);
    }

    /** The counts with their cost from {@code prices} ({@link Usage#unpriced} when the model is unknown). */
    Usage usage(PriceTable prices, boolean batch) {
        Usage counts = usage();
        if (counts.tokens() == 0) {
            return counts;
        }
        long writes = cacheCreationTokens();
        // The 1-hour part is what the split says, never more than the total; the rest lived 5 minutes.
        long oneHour = cacheSplit ? Math.min(cache1h, writes) : 0;
        ModelPrice.MeteredTokens tokens = new ModelPrice.MeteredTokens(input, output, writes - oneHour, oneHour, cacheRead);
        return counts.priced(prices.costMicros(model, tokens, batch));
    }

    /** The model the response named, or null. */
    String model() {
        return model;
    }

    private long cacheCreationTokens() {
        return cacheCreationTotal ? cacheCreation : cacheSplit ? cache5m + cache1h : 0;
    }
}
