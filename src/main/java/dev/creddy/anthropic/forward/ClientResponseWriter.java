package dev.creddy.anthropic.forward;

import dev.creddy.anthropic.api.ApiError;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.nio.CapacityChannel;

/**
 * Writes the client's response: the only code that ever touches {@code clientResponse} (its head,
 * its body, an error in its place, the end of the stream and the completion of the async context),
 * so nothing else can write to a response that the container has already recycled.
 *
 * <p>Back-pressure as credit: bytes taken from the upstream are credited back
 * ({@link CapacityChannel#update}) only once the client's output has accepted and flushed them
 * ({@code isReady()} true again). A slow client therefore holds back the upstream connection, not
 * the heap: what waits here is bounded by the upstream connection's window (64 KB) plus one read.
 *
 * <p>Thread-safety: the upstream side calls in on a reactor thread, the container calls
 * {@link #onWritePossible} and {@link #onError} on its threads, the exchange's error exit on any. The
 * lock serialises every touch of the response and moves the {@link WriteState}; capacity updates and
 * the exchange's callbacks happen outside it. The container does not call {@code onWritePossible}
 * inline from {@code write}, {@code flush} or {@code isReady}, so {@link #drain} is not re-entered.
 *
 * <p>Writes go out in slices no larger than the container's response buffer, each flushed at once. On
 * Tomcat, bytes that reach its socket buffer without a flush stay there, {@code isReady()} turns false,
 * and only its poller (another thread, one dispatch later) writes them: a chunk larger than the response
 * buffer cost a poller round per chunk, which held a 32 MB download to about 35 MB/s. A slice that fits
 * the response buffer leaves the output ready, so the flush that follows is allowed and writes it on
 * this thread. A body other than an event stream does not flush its head alone: it goes out with the
 * first slice, one write instead of two.
 */
final class ClientResponseWriter implements WriteListener {

    /** The writing side's state; it only moves down this list, and {@link #move} checks it. */
    enum WriteState {
        /** Nothing written yet: a head or an error may come. */
        IDLE,
        /** The head is set; body bytes flow. */
        OPEN,
        /** No more bytes will be queued; drain what is queued, then finish. */
        ENDING,
        /** Finished (everything written, or broken off, or the client is gone); nothing is touched any more. */
        DONE
    }

    /** The client leg as the writer needs it: the narrow seam unit tests stand in for. */
    interface ClientLeg {
        ServletOutputStream output() throws IOException;

        /** The container's response buffer in bytes (0 when it has none); read once, before the first write. */
        int bufferSize();

        void status(int status);

        void addHeader(String name, String value);

        void setHeader(String name, String value);

        void contentLength(long length);

        void contentType(String type);

        /** Completes the async context: the container ends the response. */
        void complete();

        /** Ends the response with a broken connection: a committed body cannot be finished. */
        void abort();
    }

    /** What the writer tells its exchange. */
    interface Events {
        /**
         * The upstream's head is about to be set on the response: the exchange records that its head went
         * out, with its status. Called under the writer's lock, so it must not call back into the writer.
         *
         * @return false when the exchange has already ended (a failure won the race): the head stays back,
         *         and the failure's {@link ClientResponseWriter#error} takes its place
         */
        boolean headGoing(int status);

        /** The client's output failed (it went away). The writer finishes on its own. */
        void clientFailed(Throwable cause);

        /**
         * The writer is {@link WriteState#DONE}: the exchange reports its end, then calls {@link #release}.
         * Exactly once.
         *
         * @param broken whether the response must end with a broken connection
         */
        void finished(boolean broken);
    }

    /**
     * Credit goes back in batches: each update wakes the upstream connection's reactor (a selector
     * wake-up, a system call), and a credit per 4 KB read doubled the reactor's work on a large body.
     * Never more than the upstream's window, which is what keeps a batch from waiting for bytes that
     * cannot come: the upstream stops only once the bytes not yet credited fill its whole window.
     */
    static final int CREDIT_BATCH = UpstreamClient.WINDOW / 4;

    private final ClientLeg leg;
    private final Events events;
    private final Object lock = new Object();
    private final ArrayDeque<byte[]> pending = new ArrayDeque<>();

    private WriteState state = WriteState.IDLE;
    private ServletOutputStream clientOut;
    /** The most one write may carry: the container's response buffer, so the flush after it stays allowed. */
    private int slice;
    /** How much of the first pending chunk has been written. */
    private int written;
    private CapacityChannel capacity;
    private int uncredited;
    private boolean needsFlush;
    /**
     * The upstream's head, kept here until the first write, flush or completion sets it on the response:
     * until then an error can still take its place. Breaking the connection of a response that was never
     * committed is no answer (Tomcat turns the failure into its own HTML 400 page under the upstream's
     * headers). Undoing it with {@code HttpServletResponse.reset()} was tried: on Tomcat the exchange then
     * waited for a write callback that never came. So the head is simply not set before it must be.
     */
    private Head head;

    /** An upstream head not yet set on the response. */
    private record Head(int status, List<Header> headers, long contentLength, Map<String, String> extra) {
    }
    /** SSE events go out one by one; other bodies flush when the container's buffer fills, and at the end. */
    private boolean eventStream;
    private boolean released;

    ClientResponseWriter(ClientLeg leg, Events events) {
        this.leg = leg;
        this.events = events;
    }

    /**
     * Puts the client's output in non-blocking mode. Called on the container thread inside
     * {@code service()}: set from another thread, Tomcat may run {@code onWritePossible} inline
     * on that thread, under the socket lock. Until a head or an error is queued, drains find nothing
     * to do and never ask {@code isReady()}, so the container stays quiet until the writer writes.
     */
    void start() throws IOException {
        ServletOutputStream out = leg.output();
        int bufferSize = leg.bufferSize();
        synchronized (lock) {
            clientOut = out;
            // A container without a buffer (size 0) takes each write straight to its connection.
            slice = bufferSize > 0 ? bufferSize : Integer.MAX_VALUE;
        }
        out.setWriteListener(this);
    }

    WriteState state() {
        synchronized (lock) {
            return state;
        }
    }

    /**
     * Sets the upstream's head on the client's response.
     *
     * @param headers the upstream's headers as the client gets them
     * @param contentLength the body's length, or -1 when unknown (chunked)
     * @param extra headers of the proxy's own, set after the upstream's
     * @param eventStream whether the body is an SSE stream (flushed event by event)
     * @param hasBody false for a response without a body: the writer then ends at once
     * @return false when the writer is no longer idle (the client went away, or an error went out)
     */
    boolean head(int status, List<Header> headers, long contentLength, Map<String, String> extra, boolean eventStream,
            boolean hasBody) {
        synchronized (lock) {
            if (state != WriteState.IDLE) {
                return false;
            }
            head = new Head(status, headers, contentLength, extra);
            this.eventStream = eventStream;
            // A stream's client sees its headers before its first event; any other head leaves with the
            // first slice of its body (or with the response's completion when there is none).
            needsFlush = eventStream;
            move(hasBody ? WriteState.OPEN : WriteState.ENDING);
        }
        drain();
        return true;
    }

    /**
     * Queues body bytes for the client; their credit goes back to {@code capacity} once they are out.
     *
     * @return false when the bytes have nowhere to go (the client is gone or the stream was ended)
     */
    boolean body(ByteBuffer src) {
        byte[] chunk = new byte[src.remaining()];
        src.get(chunk);
        synchronized (lock) {
            if (state != WriteState.OPEN) {
                return false;
            }
            pending.add(chunk);
            uncredited += chunk.length;
        }
        drain();
        return true;
    }

    /** Where credit for written bytes goes. */
    void updateCapacity(CapacityChannel channel) {
        synchronized (lock) {
            capacity = channel;
        }
        drain();
    }

    /** The upstream's body ended: finish once what is queued is out. */
    void end() {
        synchronized (lock) {
            if (state != WriteState.OPEN) {
                return;
            }
            move(WriteState.ENDING);
        }
        drain();
    }

    /**
     * Tells the client about a failure. Until the upstream's head is on the response (it goes with the
     * first write), the client gets {@code error} as a complete JSON response in its place; after that,
     * an SSE stream ends with {@code event} and any other body with a broken connection (a truncated
     * body must not pass for a whole one).
     *
     * @param json the error's JSON body
     * @param event the same error as an SSE {@code error} event
     * @param closeConnection whether the client's connection must not be reused (its body was not read to its end)
     */
    void error(ApiError error, byte[] json, byte[] event, boolean closeConnection) {
        boolean broken = false;
        synchronized (lock) {
            switch (state) {
                case IDLE -> {
                    errorResponse(error, json, closeConnection);
                    move(WriteState.ENDING);
                }
                case OPEN, ENDING -> {
                    if (head != null) {
                        // The upstream's head was never set: the error takes its place, its body's bytes go unsent.
                        head = null;
                        pending.clear();
                        written = 0;
                        errorResponse(error, json, closeConnection);
                        if (state == WriteState.OPEN) {
                            move(WriteState.ENDING);
                        }
                    } else if (eventStream) {
                        pending.add(event);
                        needsFlush = true;
                        if (state == WriteState.OPEN) {
                            move(WriteState.ENDING);
                        }
                    } else {
                        pending.clear();
                        written = 0;
                        move(WriteState.DONE);
                        broken = true;
                    }
                }
                case DONE -> {
                    return;
                }
            }
        }
        if (broken) {
            events.finished(true);
        } else {
            drain();
        }
    }

    /** Sets {@code error} as the whole response and queues its JSON body. Under the lock. */
    private void errorResponse(ApiError error, byte[] json, boolean closeConnection) {
        leg.status(error.status());
        error.retry().headers().forEach(leg::setHeader);
        leg.contentType("application/json");
        leg.setHeader("Cache-Control", "no-store");
        if (closeConnection) {
            // Keeping it would make the container read (swallow) the rest of an unwanted body.
            leg.setHeader("Connection", "close");
        }
        leg.contentLength(json.length);
        eventStream = false;
        pending.add(json);
        needsFlush = true;
    }

    /** The client went away: nothing more is written, and the writer finishes. Idempotent. */
    void clientGone() {
        synchronized (lock) {
            if (state == WriteState.DONE) {
                return;
            }
            pending.clear();
            written = 0;
            move(WriteState.DONE);
        }
        events.finished(false);
    }

    /**
     * Ends the client's response for good: completes the async context, or breaks the connection.
     * Called once by the exchange after {@link Events#finished}, when its end has been reported.
     */
    void release(boolean broken) {
        synchronized (lock) {
            if (released || state != WriteState.DONE) {
                return;
            }
            released = true;
        }
        // Outside the lock: the container may call back (onComplete, an error dispatch) from this thread.
        if (broken) {
            leg.abort();
        } else {
            leg.complete();
        }
    }

    @Override
    public void onWritePossible() {
        drain();
    }

    @Override
    public void onError(Throwable failure) {
        boolean finish;
        synchronized (lock) {
            finish = state != WriteState.DONE;
            if (finish) {
                pending.clear();
                written = 0;
                move(WriteState.DONE);
            }
        }
        events.clientFailed(new ClientGoneException(failure));
        if (finish) {
            events.finished(false);
        }
    }

    /**
     * Writes what is pending while the client can take it, flushes, and credits the upstream with what
     * has left. Finishes when the stream has ended and everything is out.
     */
    private void drain() {
        int credit = 0;
        CapacityChannel toCredit = null;
        boolean finished = false;
        Exception failure = null;
        synchronized (lock) {
            if (state != WriteState.OPEN && state != WriteState.ENDING) {
                return;
            }
            try {
                if (head != null) {
                    // The head goes when the response is first touched: a write, a flush, or the completion of a
                    // response without body. Its exchange may have ended first; then the error replaces the head.
                    boolean touching = pending.isEmpty() && !needsFlush ? state == WriteState.ENDING : clientOut.isReady();
                    if (touching) {
                        if (!events.headGoing(head.status())) {
                            return;
                        }
                        setHead();
                    }
                }
                while (!pending.isEmpty() && clientOut.isReady()) {
                    byte[] chunk = pending.peek();
                    int length = Math.min(slice, chunk.length - written);
                    clientOut.write(chunk, written, length);
                    written += length;
                    if (written == chunk.length) {
                        pending.poll();
                        written = 0;
                    }
                    // The slice fit the response buffer, so the output is still ready and may flush (see above).
                    clientOut.flush();
                    needsFlush = false;
                }
                if (pending.isEmpty() && needsFlush && clientOut.isReady()) {
                    clientOut.flush();
                    needsFlush = false;
                }
                if (pending.isEmpty() && !needsFlush && clientOut.isReady()) {
                    if (capacity != null && uncredited >= CREDIT_BATCH) {
                        credit = uncredited;
                        uncredited = 0;
                        toCredit = capacity;
                    }
                    if (state == WriteState.ENDING) {
                        move(WriteState.DONE);
                        finished = true;
                    }
                }
            } catch (IOException | RuntimeException e) {
                // A RuntimeException too: once the container has ended the request after a client error,
                // its response may refuse the write with an IllegalStateException instead of an IOException.
                pending.clear();
                written = 0;
                move(WriteState.DONE);
                failure = e;
            }
        }
        if (failure != null) {
            // The exchange records why, then the writer finishes like any other.
            events.clientFailed(new ClientGoneException(failure));
            events.finished(false);
            return;
        }
        if (toCredit != null) {
            try {
                toCredit.update(credit);
            } catch (IOException e) {
                // The upstream connection broke: the consumer hears it too, and the exchange's error exit acts.
            }
        }
        if (finished) {
            events.finished(false);
        }
    }

    /** Sets the upstream's head on the response, once, just before the response first needs it. Under the lock. */
    private void setHead() {
        leg.status(head.status());
        for (Header header : head.headers()) {
            leg.addHeader(header.getName(), header.getValue());
        }
        if (head.contentLength() >= 0) {
            leg.contentLength(head.contentLength());
        }
        head.extra().forEach(leg::setHeader);
        head = null;
    }

    private void move(WriteState to) {
        boolean allowed = switch (state) {
            case IDLE -> to == WriteState.OPEN || to == WriteState.ENDING || to == WriteState.DONE;
            case OPEN -> to == WriteState.ENDING || to == WriteState.DONE;
            case ENDING -> to == WriteState.DONE;
            case DONE -> false;
        };
        if (!allowed) {
            throw new IllegalStateException("response writer cannot move from " + state + " to " + to);
        }
        state = to;
    }
}
