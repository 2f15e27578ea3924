package dev.creddy.anthropic.web.gateway;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A per-address limit over fixed one-minute windows (RFC 8628 §5.1, §5.2: the unauthenticated
 * endpoints and the code entry are rate-limited). Coarse on purpose: it stops floods and guessing, not
 * a determined distributed attacker. Thread-safe; the map is cleared each new window.
 */
final class RateLimiter {

    private final int perMinute;
    private final ConcurrentHashMap<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    private volatile long window = System.nanoTime() / 60_000_000_000L;

    RateLimiter(int perMinute) {
        this.perMinute = perMinute;
    }

    boolean allow(String address) {
        long now = System.nanoTime() / 60_000_000_000L;
        if (now != window) {
            // A racing thread may clear a count just made: one extra request in a window, harmless.
            window = now;
            counts.clear();
        }
        return counts.computeIfAbsent(address, a -> new AtomicInteger()).incrementAndGet() <= perMinute;
    }
}
