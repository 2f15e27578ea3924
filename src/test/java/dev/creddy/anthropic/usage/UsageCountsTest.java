package dev.creddy.anthropic.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Issue 15, S10: the bounds that keep a reported number from overflowing a sum. */
class UsageCountsTest {

    @Test
    void sumsSaturateInsteadOfWrapping() {
        assertEquals(UsageCounts.MAX_SUM, UsageCounts.add(UsageCounts.MAX_SUM - 1, 2));
        assertEquals(UsageCounts.MAX_SUM, UsageCounts.add(Long.MAX_VALUE, Long.MAX_VALUE));
        assertEquals(UsageCounts.MAX_SUM, UsageCounts.add(UsageCounts.MAX_SUM, UsageCounts.MAX_SUM));
        assertEquals(7, UsageCounts.add(3, 4));
    }

    @Test
    void oneRecordIsHeldBetweenZeroAndTheCeiling() {
        Usage bounded = UsageCounts.bounded(new Usage(1, Long.MAX_VALUE, -3, 5, Long.MIN_VALUE, 2));
        assertEquals(new Usage(1, UsageCounts.MAX_PER_RECORD, 0, 5, 0, 2), bounded);
    }

    @Test
    void tokensOfASaturatedTotalStayAtTheTop() {
        Usage full = new Usage(0, UsageCounts.MAX_SUM, UsageCounts.MAX_SUM, UsageCounts.MAX_SUM, UsageCounts.MAX_SUM, 0);
        assertEquals(UsageCounts.MAX_SUM, UsageCounts.tokens(full));
        assertEquals(UsageCounts.MAX_SUM, UsageCounts.sum(full, full).inputTokens());
    }
}
