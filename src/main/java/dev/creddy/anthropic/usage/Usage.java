package dev.creddy.anthropic.usage;

/**
 * What forwarded requests used, as Anthropic reports it in {@code usage}, plus how many requests there
 * were and how many of them failed. One exchange's usage, or a sum of many. Immutable.
 *
 * @param requests forwarded requests
 * @param inputTokens {@code input_tokens}
 * @param outputTokens {@code output_tokens}
 * @param cacheCreationInputTokens {@code cache_creation_input_tokens}
 * @param cacheReadInputTokens {@code cache_read_input_tokens}
 * @param errors requests that got an error status from the upstream or failed on the way
 */
public record Usage(long requests, long inputTokens, long outputTokens, long cacheCreationInputTokens,
        long cacheReadInputTokens, long errors) {

    public static final Usage ZERO = new Usage(0, 0, 0, 0, 0, 0);

    /** Tokens only, as a meter reads them from a response. */
    public static Usage ofTokens(long inputTokens, long outputTokens, long cacheCreationInputTokens, long cacheReadInputTokens) {
        return new Usage(0, inputTokens, outputTokens, cacheCreationInputTokens, cacheReadInputTokens, 0);
    }

    /** The sum of this and {@code other}. */
    public Usage plus(Usage other) {
        return new Usage(requests + other.requests, inputTokens + other.inputTokens, outputTokens + other.outputTokens,
                cacheCreationInputTokens + other.cacheCreationInputTokens, cacheReadInputTokens + other.cacheReadInputTokens,
                errors + other.errors);
    }

    /**
     * The tokens that count against {@code tpm} and {@code max_tokens_total}: every input kind and the
     * output, since each is billed.
     */
    public long tokens() {
        return inputTokens + outputTokens + cacheCreationInputTokens + cacheReadInputTokens;
    }
}
