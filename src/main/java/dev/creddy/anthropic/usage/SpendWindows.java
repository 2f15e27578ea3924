package dev.creddy.anthropic.usage;

import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/**
 * The calendar of dollar budgets, shared by both ledgers: an agent's budget counts the rolling 24
 * hours as the 24 UTC hours up to and including the current one, so an hour's spend leaves the window
 * 24 hours after that hour began. Stateless.
 */
final class SpendWindows {

    /** How many UTC hours an agent's rolling budget counts. */
    static final int HOURS = 24;

    private SpendWindows() {
    }

    /** The UTC hour {@code now} is in, as hours since the epoch. */
    static long hour(Instant now) {
        return Math.floorDiv(now.getEpochSecond(), 3600);
    }

    /** When the spend of {@code hour} (hours since the epoch) leaves the window. */
    static Instant leavesWindow(long hour) {
        return Instant.ofEpochSecond((hour + HOURS) * 3600);
    }

    /** A fresh reservation id. */
    static String newHoldId() {
        return UUID.randomUUID().toString();
    }

    /** {@code a + b} on micro-dollars, saturating like every sum. */
    static long add(long a, long b) {
        return UsageCounts.add(Math.max(0, a), Math.max(0, b));
    }

    static final Duration LEASE = UsageLedger.HOLD_LEASE;
}
