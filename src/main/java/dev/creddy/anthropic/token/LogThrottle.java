package dev.creddy.anthropic.token;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Lets a warning through at most once per interval, so that an outage that fails every request
 * writes a line every few seconds rather than one per request.
 *
 * <p>Thread-safe: of the threads that ask at once when the interval has passed, exactly one is let through.
 */
public final class LogThrottle {

    private final long intervalNanos;
    private final AtomicLong nextNanos = new AtomicLong(System.nanoTime());

    public LogThrottle(Duration interval) {
        this.intervalNanos = interval.toNanos();
    }

    /** Whether the caller may log now; if so, nobody else may until the interval has passed. */
    public boolean allow() {
        long now = System.nanoTime();
        long next = nextNanos.get();
        return now - next >= 0 && nextNanos.compareAndSet(next, now + intervalNanos);
    }
}
