package dev.creddy.anthropic.usage;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@link BatchCharges} in this instance's memory, beside the {@link MemoryUsageLedger}: one entry per
 * downloaded batch, dropped {@link BatchCharges#KEPT} after its first download (on reading it and in a
 * sweep every {@value #SWEEP_EVERY} claims), so memory is bounded by the batches downloaded in that
 * time. Lost on restart, like the memory store's tokens and usage.
 *
 * <p>Thread-safe: each claim is one atomic {@code compute} on a concurrent map; every stage it
 * returns is already complete.
 */
final class MemoryBatchCharges implements BatchCharges {

    static final int SWEEP_EVERY = 1024;

    private record Entry(Usage charged, Instant expiresAt) {
    }

    private final Map<String, Entry> batches = new ConcurrentHashMap<>();
    private final AtomicInteger sinceSweep = new AtomicInteger();

    @Override
    public CompletionStage<Usage> claim(String batchId, Usage read, Instant now) {
        Usage[] fresh = new Usage[1];
        batches.compute(batchId, (id, entry) -> {
            boolean live = entry != null && now.isBefore(entry.expiresAt());
            Usage before = live ? entry.charged() : Usage.ZERO;
            Usage after = BatchCharges.largest(before, read);
            fresh[0] = BatchCharges.added(before, after);
            return new Entry(after, live ? entry.expiresAt() : now.plus(KEPT));
        });
        if (sinceSweep.incrementAndGet() >= SWEEP_EVERY) {
            sinceSweep.set(0);
            batches.values().removeIf(entry -> !now.isBefore(entry.expiresAt()));
        }
        return CompletableFuture.completedFuture(fresh[0]);
    }

    /** How many batches are remembered, expired ones not yet swept included. */
    int size() {
        return batches.size();
    }
}
