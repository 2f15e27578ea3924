package dev.creddy.anthropic.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.creddy.anthropic.token.ManualClock;
import dev.creddy.anthropic.token.TokenRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What only the memory ledger does: forgetting history and counters once they are no longer needed. */
@Timeout(10)
class MemoryUsageLedgerTest {

    private static final Duration RETENTION = Duration.ofHours(3);

    @Test
    void forgetsAnHourOnceTheRetentionHasPassedSinceItEnded() {
        ManualClock clock = new ManualClock(Instant.parse("2026-11-26T10:20:00Z"));
        try (MemoryUsageLedger ledger = new MemoryUsageLedger(RETENTION, clock)) {
            TokenRecord token = UsageLedgerContract.token("kept", null, null, null);
            ledger.record(token, Usage.ofTokens(5, 6, 0, 0), clock.instant());
            Instant hour = Instant.parse("2026-11-26T10:00:00Z");
            List<UsageLedger.UsageLine> kept = List.of(new UsageLedger.UsageLine(token.id().value(), "kept",
                    Usage.ofTokens(5, 6, 0, 0)));

            clock.advance(Duration.between(clock.instant(), hour.plus(Duration.ofHours(1)).plus(RETENTION)).minusMillis(1));
            ledger.purge();
            assertEquals(kept, ledger.report(Optional.empty(), hour, hour.plusSeconds(1)), "kept until the retention has passed");

            clock.advance(Duration.ofMillis(1));
            ledger.purge();
            assertEquals(List.of(), ledger.report(Optional.empty(), hour, hour.plusSeconds(1)));
        }
    }

    @Test
    void forgetsATokensCountersAWhileAfterItExpires() {
        ManualClock clock = new ManualClock(Instant.parse("2026-11-26T10:00:00Z"));
        try (MemoryUsageLedger ledger = new MemoryUsageLedger(RETENTION, clock)) {
            TokenRecord token = UsageLedgerContract.token("expiring", null, null, null);
            ledger.record(token, Usage.ofTokens(1, 2, 3, 4), token.expiresAt().minusSeconds(1));
            Instant late = token.expiresAt().plus(MemoryUsageLedger.COUNTERS_MARGIN);

            clock.advance(Duration.between(clock.instant(), late).minusMillis(1));
            ledger.purge();
            assertEquals(10, ledger.usageOf(token, clock.instant()).total().tokens());
            clock.advance(Duration.ofMillis(1));
            ledger.purge();
            assertEquals(Usage.ZERO, ledger.usageOf(token, clock.instant()).total());
        }
    }

    @Test
    void refusesARetentionShorterThanAnHour() {
        assertThrows(IllegalArgumentException.class,
                () -> new MemoryUsageLedger(Duration.ofMinutes(59), new ManualClock(Instant.EPOCH)));
    }
}
