package dev.creddy.anthropic.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ValidationCacheTest {

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final ValidationCache cache = new ValidationCache(Duration.ofSeconds(1), 3, nanos::get);

    private static TokenRecord record(String id) {
        return new TokenRecord(new TokenId(id), "agent", Instant.parse("2026-11-26T10:00:00Z"),
                Instant.parse("2026-11-26T11:00:00Z"));
    }

    private void advance(Duration by) {
        nanos.addAndGet(by.toNanos());
    }

    @Test
    void trustsAnEntryForTheTtlCountedFromBeforeTheRead() {
        ValidationCache.Ticket ticket = cache.ticket();
        advance(Duration.ofMillis(300)); // the store took this long to answer
        cache.fill("d1", record("tok_AAAAAAAAAAAAAAA1"), ticket);
        assertTrue(cache.get("d1").isPresent());
        advance(Duration.ofMillis(699));
        assertTrue(cache.get("d1").isPresent());
        advance(Duration.ofMillis(1));
        assertEquals(Optional.empty(), cache.get("d1"), "a second after the read began, not after the answer");
        assertEquals(0, cache.size(), "an expired entry is dropped when it is found");
    }

    @Test
    void anInvalidationDuringTheReadKeepsItsAnswerOut() {
        ValidationCache.Ticket ticket = cache.ticket();
        cache.invalidate("d1"); // the revocation message arrived while the read was in flight
        cache.fill("d1", record("tok_AAAAAAAAAAAAAAA1"), ticket);
        assertEquals(Optional.empty(), cache.get("d1"));

        ValidationCache.Ticket next = cache.ticket();
        cache.invalidateAll();
        cache.fill("d2", record("tok_AAAAAAAAAAAAAAA2"), next);
        assertEquals(Optional.empty(), cache.get("d2"));

        cache.fill("d3", record("tok_AAAAAAAAAAAAAAA3"), cache.ticket());
        assertTrue(cache.get("d3").isPresent(), "a read with nothing in between is cached");
    }

    @Test
    void invalidationDropsAtOnce() {
        cache.fill("d1", record("tok_AAAAAAAAAAAAAAA1"), cache.ticket());
        cache.fill("d2", record("tok_AAAAAAAAAAAAAAA2"), cache.ticket());
        cache.invalidate("d1");
        assertEquals(Optional.empty(), cache.get("d1"));
        assertTrue(cache.get("d2").isPresent());
        cache.invalidateAll();
        assertEquals(0, cache.size());
    }

    @Test
    void staysWithinItsBoundAndMakesRoomFromExpiredEntries() {
        for (int i = 1; i <= 5; i++) {
            cache.fill("d" + i, record("tok_AAAAAAAAAAAAAAA" + i), cache.ticket());
        }
        assertEquals(3, cache.size(), "full: later records are not cached");
        assertEquals(Optional.empty(), cache.get("d4"));
        advance(Duration.ofSeconds(2));
        cache.fill("d6", record("tok_AAAAAAAAAAAAAAA6"), cache.ticket());
        assertEquals(1, cache.size(), "the expired entries were swept to make room");
        assertTrue(cache.get("d6").isPresent());
    }

    @Test
    void aZeroTtlCachesNothing() {
        ValidationCache off = new ValidationCache(Duration.ZERO, 3, nanos::get);
        off.fill("d1", record("tok_AAAAAAAAAAAAAAA1"), off.ticket());
        assertEquals(0, off.size());
        assertEquals(Optional.empty(), off.get("d1"));
    }

    /** Issue 16: the hit ratio metrics read these: a fresh entry is a hit; none, or a stale one, a miss. */
    @Test
    void countsHitsAndMisses() {
        assertEquals(Optional.empty(), cache.get("d1"));
        cache.fill("d1", record("tok_AAAAAAAAAAAAAAA1"), cache.ticket());
        assertTrue(cache.get("d1").isPresent());
        assertTrue(cache.get("d1").isPresent());
        advance(Duration.ofSeconds(1));
        assertEquals(Optional.empty(), cache.get("d1"), "expired");
        assertEquals(2, cache.hits());
        assertEquals(2, cache.misses());
    }
}
