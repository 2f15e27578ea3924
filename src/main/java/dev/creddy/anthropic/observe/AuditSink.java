package dev.creddy.anthropic.observe;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Audit lines written off the request's thread: a bounded queue of entries and one writer thread,
 * the only thread that encodes a line and hands it to the log destination. A request (often on
 * HttpClient's I/O reactor) only offers its entry; when the queue is full, because the destination is
 * slower than the traffic, the entry is dropped and counted instead of making the request wait.
 *
 * <p>While lines are dropped, the writer says so at most once a {@link #WARNING_INTERVAL}, through its
 * own logger: never from a request's thread, which would then wait for a destination that is known
 * to be slow.
 *
 * <p>{@link #close()} lets the writer write what is queued, up to a deadline, and ends it; an entry
 * recorded after that is written on the caller's thread, so the last lines of an undeployment are
 * kept.
 *
 * <p>Thread-safe: any thread may {@link #record}; the writer's own fields are confined to it.
 */
final class AuditSink implements AutoCloseable {

    /** The writer's lifecycle; only {@link #close()} moves it. */
    enum State { RUNNING, CLOSING, CLOSED }

    /**
     * Entries the queue holds, a few MB at most: enough for a burst of tens of thousands of requests
     * a second to ride out a destination that pauses for a moment (a log rotation, a full pipe).
     */
    static final int DEFAULT_CAPACITY = 8192;
    static final Duration WARNING_INTERVAL = Duration.ofMinutes(1);
    private static final int BATCH = 256;
    /**
     * How long the writer lets entries gather after a batch smaller than {@link #BATCH}: under load it
     * then wakes about once a millisecond for a batch instead of once per request, and a request's offer
     * finds no waiting writer to wake (a futex call on the request's thread, and a context switch, per
     * line). A line reaches the destination at most this much later.
     */
    static final long LINGER_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** Tells the writer to end: every entry queued before it has been written. */
    private static final AuditEntry END = new AuditEntry(null, null, null, null, null, null, null, null, null, null,
            null, null, null);
    private static final Logger LOG = Logger.getLogger(AuditSink.class.getName());

    private final BlockingQueue<AuditEntry> queue;
    private final Consumer<String> destination;
    private final LongSupplier nanoClock;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicReference<State> state = new AtomicReference<>(State.RUNNING);
    private final Thread writer;

    // Confined to the writer thread.
    private long droppedReported;
    private long lastWarningNanos;
    private boolean warned;

    /**
     * @param capacity entries the queue holds
     * @param destination writes one line; called by the writer thread only (and by callers after {@link #close()})
     * @param nanoClock {@link System#nanoTime()}, or a test's clock for the warnings' interval
     */
    AuditSink(int capacity, Consumer<String> destination, LongSupplier nanoClock) {
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.destination = destination;
        this.nanoClock = nanoClock;
        this.writer = new Thread(this::writeUntilClosed, "creddy-audit-writer");
        writer.setDaemon(true);
        writer.setContextClassLoader(AuditSink.class.getClassLoader());
    }

    /** Starts the writer. */
    AuditSink start() {
        writer.start();
        return this;
    }

    /** Queues one entry, or counts it as dropped when the queue is full. Never waits. */
    void record(AuditEntry entry) {
        if (state.get() != State.RUNNING) {
            write(entry);
            return;
        }
        if (!queue.offer(entry)) {
            dropped.incrementAndGet();
            return;
        }
        // close() may have drained the queue for the last time between the check above and the offer.
        if (state.get() == State.CLOSED && queue.remove(entry)) {
            write(entry);
        }
    }

    /** Entries dropped since the start because the queue was full. */
    long dropped() {
        return dropped.get();
    }

    /** Entries waiting for the writer now. */
    int queued() {
        return queue.size();
    }

    State state() {
        return state.get();
    }

    private void writeUntilClosed() {
        List<AuditEntry> batch = new ArrayList<>(BATCH);
        boolean ending = false;
        while (!ending) {
            try {
                // With drops not yet reported, wake up in time to report them even if traffic stops.
                AuditEntry first = dropped.get() > droppedReported
                        ? queue.poll(WARNING_INTERVAL.toNanos(), TimeUnit.NANOSECONDS) : queue.take();
                if (first != null) {
                    batch.add(first);
                    queue.drainTo(batch, BATCH - 1);
                }
            } catch (InterruptedException e) {
                // Only close() interrupts, once its deadline has passed: what is still queued stays unwritten.
                return;
            }
            for (AuditEntry entry : batch) {
                if (entry == END) {
                    ending = true;
                } else {
                    write(entry);
                }
            }
            boolean full = batch.size() == BATCH;
            batch.clear();
            reportDrops();
            if (!ending && !full) {
                LockSupport.parkNanos(this, LINGER_NANOS);
            }
        }
    }

    private void write(AuditEntry entry) {
        try {
            destination.accept(AuditLine.of(entry));
        } catch (RuntimeException e) {
            // A failing handler must not end the writer; the line is lost like a dropped one.
            dropped.incrementAndGet();
        }
    }

    private void reportDrops() {
        long total = dropped.get();
        long now = nanoClock.getAsLong();
        if (total > droppedReported && (!warned || now - lastWarningNanos >= WARNING_INTERVAL.toNanos())) {
            long since = total - droppedReported;
            LOG.warning(() -> "audit: " + since + " line(s) of creddy.audit dropped"
                    + (warned ? " in the last minute" : "") + ": the log destination is slower than the requests ("
                    + total + " dropped in all, counted by the metric creddy.audit.dropped)");
            droppedReported = total;
            lastWarningNanos = now;
            warned = true;
        }
    }

    /**
     * Writes what is queued and ends the writer, waiting at most {@code deadline}; a destination that
     * takes longer keeps the rest (the writer is a daemon thread and is interrupted).
     */
    void close(Duration deadline) {
        if (!state.compareAndSet(State.RUNNING, State.CLOSING)) {
            return;
        }
        long until = System.nanoTime() + deadline.toNanos();
        boolean ended = false;
        try {
            if (queue.offer(END, deadline.toNanos(), TimeUnit.NANOSECONDS)) {
                writer.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(until - System.nanoTime())));
            }
            ended = !writer.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        state.set(State.CLOSED);
        if (ended) {
            // Entries offered while the writer ended (see record) are written here.
            AuditEntry left;
            while ((left = queue.poll()) != null) {
                if (left != END) {
                    write(left);
                }
            }
        } else {
            int unwritten = queue.size();
            writer.interrupt();
            LOG.warning(() -> "audit: " + unwritten + " line(s) of creddy.audit not written at shutdown: the log "
                    + "destination did not take them within " + deadline.toMillis() + " ms");
        }
    }

    /** {@link #close(Duration)} with a five-second deadline. */
    @Override
    public void close() {
        close(Duration.ofSeconds(5));
    }
}
