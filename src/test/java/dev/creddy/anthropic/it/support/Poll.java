package dev.creddy.anthropic.it.support;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;

/**
 * Polls with a deadline for what the proxy records after the client already has its answer (metrics,
 * audit lines, access-log lines, readiness): it asks until the answer is the expected one or the
 * time is up, and returns the last answer for the test to assert on.
 */
public final class Poll {

    /** Between two probes, which are HTTP calls, MBean reads or file reads: not worth spinning on. */
    private static final long INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    /** A probe that may fail like the calls it makes. */
    @FunctionalInterface
    public interface Probe<T> {
        T get() throws Exception;
    }

    private Poll() {
    }

    /** Calls {@code probe} until {@code done} accepts its answer or {@code within} has passed; the last answer. */
    public static <T> T until(Duration within, Probe<T> probe, Predicate<T> done) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        T answer = probe.get();
        while (!done.test(answer) && System.nanoTime() < deadline) {
            LockSupport.parkNanos(INTERVAL_NANOS);
            answer = probe.get();
        }
        return answer;
    }
}
