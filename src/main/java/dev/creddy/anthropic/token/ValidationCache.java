package dev.creddy.anthropic.token;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The records this instance recently read from a shared store, by digest, trusted for at most a
 * short TTL so the hot path need not ask the store on every request. Bounded: when full, expired
 * entries are swept and, if that frees nothing, new records are simply not cached.
 *
 * <p>A revocation elsewhere reaches this cache as {@link #invalidate(String)} (or
 * {@link #invalidateAll()} when messages may have been lost). A read that was in flight while an
 * invalidation arrived must not put back what was just dropped: every read takes a
 * {@link #ticket()} before asking the store, and {@link #fill} keeps the record only if no
 * invalidation happened since. Entries age from the ticket, i.e. from before the store was asked,
 * so no entry outlives the TTL counted from the moment the store answered.
 *
 * <p>Thread-safe and lock-free.
 */
final class ValidationCache {

    /** Taken before a read from the store; see {@link #fill}. */
    record Ticket(long generation, long takenAtNanos) {
    }

    private record Entry(TokenRecord record, long expiresAtNanos) {
    }

    private final Map<String, Entry> byDigest = new ConcurrentHashMap<>();
    private final AtomicLong generation = new AtomicLong();
    private final AtomicLong nextSweepNanos;
    private final long ttlNanos;
    private final int maxEntries;
    private final LongSupplier nanoTime;
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();

    /**
     * @param ttl how long an entry is trusted; zero caches nothing
     * @param maxEntries the bound on entries
     * @param nanoTime a monotonic clock, {@code System::nanoTime} outside tests
     */
    ValidationCache(Duration ttl, int maxEntries, LongSupplier nanoTime) {
        this.ttlNanos = ttl.toNanos();
        this.maxEntries = maxEntries;
        this.nanoTime = nanoTime;
        this.nextSweepNanos = new AtomicLong(nanoTime.getAsLong());
    }

    /** The cached record for {@code digest}, if it is still fresh; counted as a hit or a miss. */
    Optional<TokenRecord> get(String digest) {
        Entry entry = byDigest.get(digest);
        if (entry == null) {
            misses.increment();
            return Optional.empty();
        }
        if (nanoTime.getAsLong() - entry.expiresAtNanos() >= 0) {
            byDigest.remove(digest, entry);
            misses.increment();
            return Optional.empty();
        }
        hits.increment();
        return Optional.of(entry.record());
    }

    /** Look-ups the cache answered since start. */
    long hits() {
        return hits.sum();
    }

    /** Look-ups that had to ask the store since start (nothing cached, or no longer fresh). */
    long misses() {
        return misses.sum();
    }

    /** Call before asking the store; hand the ticket to {@link #fill}. */
    Ticket ticket() {
        return new Ticket(generation.get(), nanoTime.getAsLong());
    }

    /** Caches what the store answered for a read that began with {@code ticket}, unless an invalidation came in between. */
    void fill(String digest, TokenRecord record, Ticket ticket) {
        if (ttlNanos == 0 || generation.get() != ticket.generation() || !hasRoom()) {
            return;
        }
        Entry entry = new Entry(record, ticket.takenAtNanos() + ttlNanos);
        byDigest.put(digest, entry);
        // An invalidation between the check above and the put: it bumped the generation first and
        // may have removed before we put, so look again and take our entry back out.
        if (generation.get() != ticket.generation()) {
            byDigest.remove(digest, entry);
        }
    }

    /** Drops one digest at once: its token was revoked. */
    void invalidate(String digest) {
        // The generation moves before the removal, so a concurrent fill either sees it or is removed here.
        generation.incrementAndGet();
        byDigest.remove(digest);
    }

    /** Drops everything: invalidations may have been missed (the subscription was down). */
    void invalidateAll() {
        generation.incrementAndGet();
        byDigest.clear();
    }

    int size() {
        return byDigest.size();
    }

    private boolean hasRoom() {
        if (byDigest.size() < maxEntries) {
            return true;
        }
        long now = nanoTime.getAsLong();
        long next = nextSweepNanos.get();
        // At most one sweep per TTL: once full of fresh entries, a sweep per request would cost O(n) each.
        if (now - next >= 0 && nextSweepNanos.compareAndSet(next, now + ttlNanos)) {
            byDigest.values().removeIf(entry -> now - entry.expiresAtNanos() >= 0);
        }
        return byDigest.size() < maxEntries;
    }
}
