package dev.creddy.anthropic.usage;

/**
 * The bounds both ledgers hold usage numbers to, so that what a buggy or hostile upstream reports
 * cannot overflow a sum and lift a budget for good.
 *
 * <p>One exchange's count per part is held to {@link #MAX_PER_RECORD}: more than any response
 * Anthropic can produce (a million-token context, far fewer output tokens), yet charged rather than
 * dropped, since refusing the record would charge nothing. Sums saturate at {@link #MAX_SUM}, which
 * a Lua number (a double) in the Redis ledger's scripts still holds exactly, so both ledgers agree.
 *
 * <p>Stateless.
 */
final class UsageCounts {

    /** The most one exchange is charged per part (requests, each token kind, errors). */
    static final long MAX_PER_RECORD = 1_000_000_000L;
    /** Where every sum stops: 10^15, exact in a double, never reached by honest use. */
    static final long MAX_SUM = 1_000_000_000_000_000L;

    private UsageCounts() {
    }

    /** {@code used} with each part held to {@code [0, MAX_PER_RECORD]}. */
    static Usage bounded(Usage used) {
        return new Usage(bounded(used.requests()), bounded(used.inputTokens()), bounded(used.outputTokens()),
                bounded(used.cacheCreationInputTokens()), bounded(used.cacheReadInputTokens()), bounded(used.errors()),
                boundedCost(used.costMicros()), bounded(used.unpriced()), bounded(used.partial()));
    }

    /** The most one exchange is charged, in micro-dollars: US$ 10^7, far above any real request. */
    static final long MAX_COST_PER_RECORD = 10_000_000_000_000L;

    private static long boundedCost(long micros) {
        return Math.max(0, Math.min(MAX_COST_PER_RECORD, micros));
    }

    private static long bounded(long count) {
        return Math.max(0, Math.min(MAX_PER_RECORD, count));
    }

    /** {@code a + b}, saturating at {@link #MAX_SUM}; both are counts of at least zero. */
    static long add(long a, long b) {
        long sum = a + b;
        return sum < 0 || sum > MAX_SUM ? MAX_SUM : sum;
    }

    /** The part-by-part sum of {@code a} and {@code b}, each part saturating at {@link #MAX_SUM}. */
    static Usage sum(Usage a, Usage b) {
        return new Usage(add(a.requests(), b.requests()), add(a.inputTokens(), b.inputTokens()),
                add(a.outputTokens(), b.outputTokens()), add(a.cacheCreationInputTokens(), b.cacheCreationInputTokens()),
                add(a.cacheReadInputTokens(), b.cacheReadInputTokens()), add(a.errors(), b.errors()),
                add(a.costMicros(), b.costMicros()), add(a.unpriced(), b.unpriced()), add(a.partial(), b.partial()));
    }

    /** The tokens of {@code used} that count against limits, saturating like every sum. */
    static long tokens(Usage used) {
        return add(add(used.inputTokens(), used.outputTokens()), add(used.cacheCreationInputTokens(), used.cacheReadInputTokens()));
    }
}
