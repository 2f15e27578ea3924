package dev.creddy.anthropic.usage;

import java.util.Objects;

/**
 * What one model family costs, per million tokens, in micro-dollars (US$ 10^-6): US$ 3 / MTok is
 * {@code 3_000_000}. Whole numbers, so that a cost is computed exactly, never summed in doubles.
 * Immutable.
 *
 * @param pattern the model id prefix the row applies to (it ends at a {@code -} of the id)
 * @param rates the standard rates
 * @param longContext the rates of every token of a request whose input is over
 *     {@code longContextAbove}, or null when the model has no long-context tier
 * @param longContextAbove the input tokens (input, cache writes and reads) above which {@code longContext} applies
 * @param batchDiscountPercent what the Message Batches API takes off every rate (50)
 * @param source where the figures were taken from
 * @param taken the date they were taken, {@code yyyy-MM-dd}
 */
public record ModelPrice(String pattern, Rates rates, Rates longContext, long longContextAbove, int batchDiscountPercent,
        String source, String taken) {

    private static final long MILLION = 1_000_000L;

    public ModelPrice {
        Objects.requireNonNull(pattern, "pattern");
        Objects.requireNonNull(rates, "rates");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(taken, "taken");
    }

    /**
     * Rates per million tokens, in micro-dollars. Immutable.
     *
     * @param input {@code input_tokens}
     * @param output {@code output_tokens}
     * @param cacheWrite5m cache writes with the 5-minute lifetime (the default)
     * @param cacheWrite1h cache writes with the 1-hour lifetime
     * @param cacheRead cache hits and refreshes
     */
    public record Rates(long input, long output, long cacheWrite5m, long cacheWrite1h, long cacheRead) {
    }

    /**
     * What {@code tokens} cost at these prices, in micro-dollars, rounded up once (so a request is never
     * charged less than it cost, and at most one micro-dollar more).
     *
     * @param batch whether the tokens were used through the Message Batches API (its discount applies)
     */
    public long costMicros(MeteredTokens tokens, boolean batch) {
        long prompt = tokens.input() + tokens.cacheWrite5m() + tokens.cacheWrite1h() + tokens.cacheRead();
        Rates applied = longContext != null && prompt > longContextAbove ? longContext : rates;
        // Each product is at most 10^9 tokens × 10^9 µ$/MTok (US$ 1000 / MTok, PriceTable's cap): it fits a
        // long, and so do the sums of the quotients and of the remainders.
        long[] parts = {
            tokens.input() * applied.input(), tokens.output() * applied.output(),
            tokens.cacheWrite5m() * applied.cacheWrite5m(), tokens.cacheWrite1h() * applied.cacheWrite1h(),
            tokens.cacheRead() * applied.cacheRead()};
        long whole = 0;
        long fraction = 0;
        int keep = batch ? 100 - batchDiscountPercent : 100;
        for (long part : parts) {
            // part is in micro-dollars × 10^6; times keep/100 it stays exact as micro-dollars × 10^8.
            whole += part / MILLION * keep / 100;
            fraction += part / MILLION * keep % 100 * MILLION + part % MILLION * keep;
        }
        long scale = MILLION * 100;
        return whole + fraction / scale + (fraction % scale == 0 ? 0 : 1);
    }

    /**
     * The tokens of one response, split as they are priced. Immutable.
     *
     * @param input {@code input_tokens}
     * @param output {@code output_tokens}
     * @param cacheWrite5m cache writes with the 5-minute lifetime
     * @param cacheWrite1h cache writes with the 1-hour lifetime
     * @param cacheRead {@code cache_read_input_tokens}
     */
    public record MeteredTokens(long input, long output, long cacheWrite5m, long cacheWrite1h, long cacheRead) {

        public MeteredTokens {
            if (input < 0 || output < 0 || cacheWrite5m < 0 || cacheWrite1h < 0 || cacheRead < 0) {
                throw new IllegalArgumentException("token counts are never negative");
            }
        }
    }
}
