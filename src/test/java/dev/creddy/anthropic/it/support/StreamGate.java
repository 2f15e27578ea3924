package dev.creddy.anthropic.it.support;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Paces a fake stream by the client: the upstream writes event N, then waits until the client
 * reports it has event N before it writes event N+1. If the client does not see an event within the
 * wait, something between them buffers; the gate counts that as a stall and lets the stream go on,
 * so a buffering proxy fails the test instead of hanging it.
 */
public final class StreamGate {

    private final CountDownLatch[] seen;
    private final long waitMillis;
    private final AtomicInteger stalls = new AtomicInteger();
    private final long[] writtenAt;
    private final long[] seenAt;

    public StreamGate(int events, long waitMillis) {
        this.seen = new CountDownLatch[events];
        for (int i = 0; i < events; i++) {
            seen[i] = new CountDownLatch(1);
        }
        this.waitMillis = waitMillis;
        this.writtenAt = new long[events];
        this.seenAt = new long[events];
    }

    /** Upstream side: event {@code index} was written at {@code writtenNanos}; wait for the client. */
    void awaitClient(int index, long writtenNanos) {
        writtenAt[index] = writtenNanos;
        try {
            if (!seen[index].await(waitMillis, TimeUnit.MILLISECONDS)) {
                stalls.incrementAndGet();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Client side: event {@code index} arrived. */
    public void clientSaw(int index) {
        seenAt[index] = System.nanoTime();
        seen[index].countDown();
    }

    /** How many events the client did not see before the wait ran out. */
    public int stalls() {
        return stalls.get();
    }

    /** Microseconds from the upstream's write of event {@code index} to the client's receipt. */
    public long deliveryMicros(int index) {
        return (seenAt[index] - writtenAt[index]) / 1_000;
    }
}
