package dev.creddy.anthropic.token;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * How many commands Redis answered and how long they took in all, for a metrics timer that reads
 * both ({@code FunctionTimer}). Thread-safe and lock-free.
 */
public final class LinkTimer {

    private final LongAdder count = new LongAdder();
    private final LongAdder totalNanos = new LongAdder();

    void record(long nanos) {
        count.increment();
        totalNanos.add(Math.max(0, nanos));
    }

    public long count() {
        return count.sum();
    }

    public double total(TimeUnit unit) {
        return (double) totalNanos.sum() / unit.toNanos(1);
    }
}
