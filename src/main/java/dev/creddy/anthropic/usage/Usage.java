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
 * @param costMicros what those tokens cost, in micro-dollars (US$ 10^-6), priced by the {@link PriceTable};
 *     exact to the micro-dollar (each exchange's cost is rounded up once)
 * @param unpriced responses whose model the price table does not know: their tokens count, their cost
 *     is not in {@code costMicros} (never priced at zero silently)
 * @param partial exchanges whose figures are partial: the response ended (a cut, a failure, an
 *     {@code error} event) before the upstream's last word on usage
 */
public record Usage(long requests, long inputTokens, long outputTokens, long cacheCreationInputTokens,
        long cacheReadInputTokens, long errors, long costMicros, long unpriced, long partial) {

    public static final Usage ZERO = new Usage(0, 0, 0, 0, 0, 0, 0, 0, 0);

    /** Counts without a cost, as before prices were kept. */
    public Usage(long requests, long inputTokens, long outputTokens, long cacheCreationInputTokens,
            long cacheReadInputTokens, long errors) {
        this(requests, inputTokens, outputTokens, cacheCreationInputTokens, cacheReadInputTokens, errors, 0, 0, 0);
    }

    /** These counts with {@code costMicros} as their cost, or as unpriced when it is empty. */
    public Usage priced(java.util.OptionalLong costMicros) {
        return new Usage(requests, inputTokens, outputTokens, cacheCreationInputTokens, cacheReadInputTokens, errors,
                costMicros.orElse(0), costMicros.isPresent() ? 0 : 1, partial);
    }

    /** These figures, marked as partial (the response ended before its last usage report). */
    public Usage asPartial() {
        return new Usage(requests, inputTokens, outputTokens, cacheCreationInputTokens, cacheReadInputTokens, errors,
                costMicros, unpriced, Math.max(1, partial));
    }

    /** Tokens only, as a meter reads them from a response. */
    public static Usage ofTokens(long inputTokens, long outputTokens, long cacheCreationInputTokens, long cacheReadInputTokens) {
        return new Usage(0, inputTokens, outputTokens, cacheCreationInputTokens, cacheReadInputTokens, 0);
    }

    /** The sum of this and {@code other}. */
    public Usage plus(Usage other) {
        return new Usage(requests + other.requests, inputTokens + other.inputTokens, outputTokens + other.outputTokens,
                cacheCreationInputTokens + other.cacheCreationInputTokens, cacheReadInputTokens + other.cacheReadInputTokens,
                errors + other.errors, costMicros + other.costMicros, unpriced + other.unpriced, partial + other.partial);
    }

    /**
     * The tokens that count against {@code tpm} and {@code max_tokens_total}: every input kind and the
     * output, since each is billed.
     */
    public long tokens() {
        return inputTokens + outputTokens + cacheCreationInputTokens + cacheReadInputTokens;
    }
}
