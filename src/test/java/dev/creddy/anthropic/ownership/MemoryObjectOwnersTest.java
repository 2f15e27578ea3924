package dev.creddy.anthropic.ownership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The contract in memory, and its expiry: batches after 30 days, files never. */
class MemoryObjectOwnersTest extends ObjectOwnersContract {

    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-12-03T12:00:00Z"));
    private final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now.get();
        }
    };

    @Override
    protected ObjectOwners open() {
        return new MemoryObjectOwners(clock);
    }

    @Test
    void aBatchRecordOutlivesItsResultsAndThenGoes() {
        owners.record(ObjectKind.BATCH, "b", "agent:alice");
        owners.record(ObjectKind.FILE, "f", "agent:alice");
        now.set(now.get().plus(Duration.ofDays(29)));
        assertEquals(Optional.of("agent:alice"), owners.ownerOf(ObjectKind.BATCH, "b"), "results are downloadable for 29 days");
        now.set(now.get().plus(Duration.ofDays(1)));
        assertEquals(Optional.empty(), owners.ownerOf(ObjectKind.BATCH, "b"));
        now.set(now.get().plus(Duration.ofDays(3650)));
        assertEquals(Optional.of("agent:alice"), owners.ownerOf(ObjectKind.FILE, "f"), "a file lives until it is deleted");
    }

    @Test
    void expiredRecordsAreSweptSoMemoryStaysBounded() {
        MemoryObjectOwners memory = (MemoryObjectOwners) owners;
        for (int i = 0; i < MemoryObjectOwners.SWEEP_EVERY - 1; i++) {
            memory.record(ObjectKind.BATCH, "old" + i, "agent:alice");
        }
        now.set(now.get().plus(Duration.ofDays(31)));
        memory.record(ObjectKind.BATCH, "new", "agent:alice");
        assertTrue(memory.size() <= 1, "the sweep dropped the expired records: " + memory.size());
    }
}
