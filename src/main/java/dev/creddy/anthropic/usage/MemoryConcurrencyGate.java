package dev.creddy.anthropic.usage;

import dev.creddy.anthropic.token.TokenRecord;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@link ConcurrencyGate} of one instance: a count per token id and per agent name, each held in
 * a map entry that goes away when its count falls to zero. Thread-safe: each count moves inside
 * {@link ConcurrentHashMap#compute}, so checking and counting are atomic.
 */
public final class MemoryConcurrencyGate implements ConcurrencyGate {

    private final ConcurrentHashMap<String, Long> inFlight = new ConcurrentHashMap<>();
    private final AtomicLong held = new AtomicLong();

    @Override
    public Entry enter(TokenRecord token, long agentCap) {
        long tokenCap = token.limits().maxConcurrent().orElse(0);
        if (tokenCap == 0 && agentCap == 0) {
            return Entry.FREE;
        }
        String tokenKey = tokenCap == 0 ? null : "t\u0001" + token.id().value();
        String agentKey = agentCap == 0 ? null : "a\u0001" + token.agentName();
        if (tokenKey != null && !take(tokenKey, tokenCap)) {
            return Entry.refused(MAX_CONCURRENT, tokenCap);
        }
        if (agentKey != null && !take(agentKey, agentCap)) {
            if (tokenKey != null) {
                give(tokenKey);
            }
            return Entry.refused(AGENT_CONCURRENCY, agentCap);
        }
        held.incrementAndGet();
        AtomicBoolean released = new AtomicBoolean();
        return new Entry(() -> {
            if (released.compareAndSet(false, true)) {
                if (tokenKey != null) {
                    give(tokenKey);
                }
                if (agentKey != null) {
                    give(agentKey);
                }
                held.decrementAndGet();
            }
        }, null, 0);
    }

    @Override
    public long inUse() {
        return held.get();
    }

    /** Requests in flight under one token id, for tests. */
    long inFlight(TokenRecord token) {
        return inFlight.getOrDefault("t\u0001" + token.id().value(), 0L);
    }

    private boolean take(String key, long cap) {
        boolean[] taken = new boolean[1];
        inFlight.compute(key, (k, count) -> {
            long now = count == null ? 0 : count;
            if (now >= cap) {
                return count;
            }
            taken[0] = true;
            return now + 1;
        });
        return taken[0];
    }

    private void give(String key) {
        inFlight.computeIfPresent(key, (k, count) -> count <= 1 ? null : count - 1);
    }
}
