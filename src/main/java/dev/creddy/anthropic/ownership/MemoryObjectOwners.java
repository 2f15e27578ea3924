package dev.creddy.anthropic.ownership;

import java.time.Clock;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Object owners in this instance's memory, for the memory token store (whose tokens are this
 * instance's alone too). Records of batches expire as {@link ObjectKind#kept()} says; expired ones
 * are dropped on reading them and in a sweep every {@value #SWEEP_EVERY} records, so memory is bounded
 * by the objects created within their lifetimes. Lost on restart, like the tokens.
 *
 * <p>Thread-safe: one concurrent map; every stage it returns is already complete.
 */
public final class MemoryObjectOwners implements ObjectOwners {

    static final int SWEEP_EVERY = 1024;

    private record Entry(String owner, Instant expiresAt) {
    }

    private final Clock clock;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    private final AtomicInteger sinceSweep = new AtomicInteger();

    public MemoryObjectOwners(Clock clock) {
        this.clock = clock;
    }

    @Override
    public CompletionStage<Void> record(ObjectKind kind, String id, String owner) {
        Instant now = clock.instant();
        entries.put(key(kind, id), new Entry(owner, kind.kept().map(now::plus).orElse(Instant.MAX)));
        if (sinceSweep.incrementAndGet() >= SWEEP_EVERY) {
            sinceSweep.set(0);
            entries.values().removeIf(entry -> !now.isBefore(entry.expiresAt()));
        }
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public Optional<String> ownerOf(ObjectKind kind, String id) {
        String key = key(kind, id);
        Entry entry = entries.get(key);
        if (entry == null) {
            return Optional.empty();
        }
        if (!clock.instant().isBefore(entry.expiresAt())) {
            entries.remove(key, entry);
            return Optional.empty();
        }
        return Optional.of(entry.owner());
    }

    @Override
    public CompletionStage<Map<String, String>> ownersOf(ObjectKind kind, Collection<String> ids) {
        Map<String, String> owners = new HashMap<>();
        for (String id : ids) {
            ownerOf(kind, id).ifPresent(owner -> owners.put(id, owner));
        }
        return CompletableFuture.completedFuture(owners);
    }

    @Override
    public CompletionStage<Void> forget(ObjectKind kind, String id) {
        entries.remove(key(kind, id));
        return CompletableFuture.completedFuture(null);
    }

    /** How many records are held, expired ones not yet swept included. */
    int size() {
        return entries.size();
    }

    private static String key(ObjectKind kind, String id) {
        return kind.key() + ":" + id;
    }
}
