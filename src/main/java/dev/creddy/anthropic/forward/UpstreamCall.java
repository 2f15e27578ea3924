package dev.creddy.anthropic.forward;

import java.util.concurrent.Future;
import java.util.function.Supplier;

/**
 * The upstream exchange of one forwarded request, as something that can be cancelled from any thread
 * at any moment, including while {@code execute()} is still returning: the error exit can run inside
 * {@code execute()} (a failure reported on the calling thread) or on another thread before its future
 * is known, and the exchange must not then stay in flight. Thread-safe.
 */
final class UpstreamCall {

    private volatile Future<Void> inFlight;
    private volatile boolean cancelRequested;

    /** Starts the upstream exchange; cancels it at once if a cancel came while it was starting. */
    void start(Supplier<Future<Void>> execute) {
        Future<Void> started = execute.get();
        inFlight = started;
        if (cancelRequested) {
            // Failed while execute() was still returning: make sure nothing stays in flight. (Not on the
            // exchange's end alone: a small response can complete normally before execute() returns, and
            // cancelling that finished exchange would report a failure for a whole response.)
            started.cancel(true);
        }
    }

    /**
     * Cancels the upstream exchange, which discards its connection instead of pooling it; when it is
     * still starting, {@link #start} cancels it as soon as it is known. Idempotent.
     */
    void cancel() {
        cancelRequested = true;
        Future<Void> started = inFlight;
        if (started != null) {
            started.cancel(true);
        }
    }
}
