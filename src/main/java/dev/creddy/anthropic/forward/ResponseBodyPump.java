package dev.creddy.anthropic.forward;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.usage.ResponseMeter;
import dev.creddy.anthropic.usage.Usage;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.List;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.EntityDetails;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.nio.AsyncResponseConsumer;
import org.apache.hc.core5.http.nio.CapacityChannel;
import org.apache.hc.core5.http.protocol.HttpContext;

/**
 * Streams the upstream's response to the client: an HttpClient {@link AsyncResponseConsumer} on one
 * side, a servlet {@link WriteListener} on the other. Bytes pass through untouched and each chunk is
 * flushed as it arrives, so SSE events reach the client while the upstream is still sending.
 *
 * <p>Back-pressure as credit: bytes taken from the upstream are credited back
 * ({@link CapacityChannel#update}) only once the client's output has accepted and flushed them
 * ({@code isReady()} true again). A slow client therefore holds back the upstream connection, not
 * the heap: what waits here is bounded by the connection's input window plus one read.
 *
 * <p>Thread-safety: {@link #consume} and {@link #streamEnd} run on a reactor thread,
 * {@link #onWritePossible} on a container thread, {@link #abort} on any. The usage meter reads each
 * chunk on the reactor thread as it passes; it never holds or changes the bytes. The lock serialises every
 * touch of the output stream; capacity updates and completion happen outside it. The container does
 * not call {@code onWritePossible} inline from {@code write}, {@code flush} or {@code isReady}, so
 * {@link #drain} is not re-entered.
 */
final class ResponseBodyPump implements AsyncResponseConsumer<Void>, WriteListener {

    /** The client-writing side's state; it only moves down this list. */
    private enum State {
        /** No response head yet. */
        AWAITING_HEAD,
        /** Head sent to the client; body bytes flow. */
        OPEN,
        /** No more bytes will be queued; drain what is queued, then complete. */
        ENDING,
        /** Done: completed, or the client is gone. */
        CLOSED
    }

    private final Exchange exchange;
    private final HttpServletResponse clientResponse;
    private final Object lock = new Object();
    private final ArrayDeque<byte[]> pending = new ArrayDeque<>();

    private State state = State.AWAITING_HEAD;
    private ServletOutputStream clientOut;
    private CapacityChannel capacity;
    private int uncredited;
    private boolean needsFlush;
    private boolean upstreamEnded;
    /** SSE events go out one by one; other bodies flush when the container's buffer fills, and at the end. */
    private boolean flushEachChunk;
    private FutureCallback<Void> upstreamDone;
    /** Reads the usage from the body on the reactor thread; the lock publishes what it read to {@link #usage}. */
    private ResponseMeter meter = ResponseMeter.NONE;

    ResponseBodyPump(Exchange exchange, HttpServletResponse clientResponse) {
        this.exchange = exchange;
        this.clientResponse = clientResponse;
    }

    /**
     * Puts the client's output in non-blocking mode. Called on the container thread inside
     * {@code service()}: set from another thread, Tomcat may run {@code onWritePossible} inline
     * on that thread, under the socket lock. Until a head or an error is queued, drains find nothing
     * to do and never ask {@code isReady()}, so the container stays quiet until the pump writes.
     */
    void start() throws IOException {
        ServletOutputStream out = clientResponse.getOutputStream();
        synchronized (lock) {
            clientOut = out;
        }
        out.setWriteListener(this);
    }

    // --- upstream side (reactor thread) -------------------------------------------------------

    @Override
    public void consumeResponse(HttpResponse upstreamResponse, EntityDetails entity, HttpContext context,
            FutureCallback<Void> resultCallback) throws IOException {
        Header contentType = upstreamResponse.getFirstHeader("content-type");
        boolean sse = Exchange.isEventStream(contentType == null ? null : contentType.getValue());
        long length = entity == null ? 0 : entity.getContentLength();
        if (!exchange.beginResponse(upstreamResponse, length, sse)) {
            throw new CancelledExchangeException();
        }
        ResponseMeter responseMeter = exchange.meterFor(upstreamResponse);
        synchronized (lock) {
            meter = responseMeter;
            upstreamDone = resultCallback;
            // The first drain flushes the head, so a client sees a stream's headers before its first event.
            needsFlush = true;
            flushEachChunk = sse;
            transition(State.AWAITING_HEAD, entity == null ? State.ENDING : State.OPEN);
            upstreamEnded = entity == null;
        }
        if (entity == null) {
            resultCallback.completed(null);
        }
        drain();
    }

    /**
     * Answers with a complete error response before the upstream's head arrived: the exchange's
     * error exit for failures the client must hear about.
     */
    void respond(ApiError error, byte[] jsonBody) {
        synchronized (lock) {
            if (state != State.AWAITING_HEAD) {
                return;
            }
            clientResponse.setStatus(error.status());
            error.retry().headers().forEach(clientResponse::setHeader);
            clientResponse.setContentType("application/json");
            clientResponse.setHeader("Cache-Control", "no-store");
            clientResponse.setContentLength(jsonBody.length);
            pending.add(jsonBody);
            transition(State.AWAITING_HEAD, State.ENDING);
        }
        drain();
    }

    @Override
    public void informationResponse(HttpResponse response, HttpContext context) {
        // 1xx responses concern the upstream hop only.
    }

    @Override
    public void updateCapacity(CapacityChannel capacityChannel) throws IOException {
        abortIfFinished();
        synchronized (lock) {
            capacity = capacityChannel;
        }
        drain();
    }

    @Override
    public void consume(ByteBuffer src) throws IOException {
        abortIfFinished();
        // Confined to this reactor thread; the meter reads without moving the buffer.
        meter.accept(src);
        byte[] chunk = new byte[src.remaining()];
        src.get(chunk);
        synchronized (lock) {
            if (state != State.OPEN) {
                // The client is gone (or the exchange failed): the bytes have nowhere to go.
                return;
            }
            pending.add(chunk);
            uncredited += chunk.length;
        }
        exchange.responseBodyReceived(chunk.length);
        drain();
    }

    @Override
    public void streamEnd(List<? extends Header> trailers) {
        FutureCallback<Void> done;
        synchronized (lock) {
            if (state == State.OPEN) {
                transition(State.OPEN, State.ENDING);
            }
            upstreamEnded = true;
            done = upstreamDone;
        }
        // The upstream exchange is over: its connection goes back to the pool while the client drains.
        if (done != null) {
            done.completed(null);
        }
        drain();
    }

    @Override
    public void failed(Exception cause) {
        if (!hasWholeResponse()) {
            exchange.fail(FailureKind.ofUpstream(cause), cause);
        }
    }

    /**
     * Whether every byte of the upstream's response has arrived. A failure reported after that
     * concerns only the connection, not the response: HttpClient 5.5.1's {@code execute()} registers
     * the exchange's cancellable only after starting it, and cancels it on the spot when the
     * exchange is already done ({@code ComplexFuture.setDependency}), which a small response can be;
     * that cancel fails the finished exchange with an {@code InterruptedIOException}. Aborting then
     * would cut a whole response short.
     */
    boolean hasWholeResponse() {
        synchronized (lock) {
            return upstreamEnded;
        }
    }

    /** The usage read from the body so far: all of it once the exchange has ended. */
    Usage usage() {
        synchronized (lock) {
            return meter.usage();
        }
    }

    /**
     * Ends the upstream exchange from inside it: HttpClient fails an exchange whose consumer throws and
     * discards its connection, which works where cancelling its future does not.
     */
    private void abortIfFinished() throws CancelledExchangeException {
        if (exchange.isFinished()) {
            throw new CancelledExchangeException();
        }
    }

    @Override
    public void releaseResources() {
        // Pending bytes belong to the client side and drain (or are dropped) there.
    }

    // --- client side (container thread) -------------------------------------------------------

    @Override
    public void onWritePossible() {
        drain();
    }

    @Override
    public void onError(Throwable failure) {
        synchronized (lock) {
            state = State.CLOSED;
            pending.clear();
        }
        exchange.fail(FailureKind.CLIENT_GONE, new ClientGoneException(failure));
    }

    /**
     * Ends the stream after a failure, with a last SSE event where there is one to send. Called by the
     * exchange's error exit once the response is committed.
     *
     * @param error what to tell an SSE client, or null when the client is gone
     */
    void abort(ApiError error) {
        boolean breakConnection = false;
        boolean completeNow = false;
        synchronized (lock) {
            if (state == State.OPEN || state == State.ENDING) {
                if (error == null) {
                    // The client is gone: nothing to tell, nothing to break.
                    pending.clear();
                    state = State.CLOSED;
                    completeNow = true;
                } else if (isEventStream()) {
                    pending.add(exchange.errorEvent(error));
                    state = State.ENDING;
                } else {
                    pending.clear();
                    state = State.CLOSED;
                    breakConnection = true;
                }
            } else if (state == State.AWAITING_HEAD) {
                state = State.CLOSED;
                completeNow = true;
            }
        }
        if (breakConnection) {
            exchange.abortConnection();
        } else if (completeNow) {
            exchange.complete();
        } else {
            drain();
        }
    }

    private boolean isEventStream() {
        return Exchange.isEventStream(clientResponse.getContentType());
    }

    /**
     * Writes what is pending while the client can take it, flushes, and credits the upstream with
     * what has left. Completes the exchange when the stream has ended and everything is out.
     */
    private void drain() {
        int credit = 0;
        CapacityChannel toCredit = null;
        boolean finished = false;
        IOException failure = null;
        synchronized (lock) {
            if (state != State.OPEN && state != State.ENDING) {
                return;
            }
            try {
                while (!pending.isEmpty() && clientOut.isReady()) {
                    clientOut.write(pending.poll());
                    needsFlush |= flushEachChunk;
                }
                if (pending.isEmpty() && needsFlush && clientOut.isReady()) {
                    clientOut.flush();
                    needsFlush = false;
                }
                if (pending.isEmpty() && !needsFlush && clientOut.isReady()) {
                    if (capacity != null && uncredited > 0) {
                        credit = uncredited;
                        uncredited = 0;
                        toCredit = capacity;
                    }
                    if (state == State.ENDING) {
                        transition(State.ENDING, State.CLOSED);
                        finished = true;
                    }
                }
            } catch (IOException e) {
                state = State.CLOSED;
                pending.clear();
                failure = e;
            } catch (IllegalStateException | NullPointerException e) {
                // The container ended and recycled the response (a client error raced us): the client is gone.
                state = State.CLOSED;
                pending.clear();
                failure = new IOException("the client response was already ended", e);
            }
        }
        if (failure != null) {
            exchange.fail(FailureKind.CLIENT_GONE, new ClientGoneException(failure));
            return;
        }
        if (toCredit != null) {
            try {
                toCredit.update(credit);
            } catch (IOException e) {
                exchange.fail(FailureKind.UPSTREAM_BROKE, e);
                return;
            }
        }
        if (finished) {
            exchange.complete();
        }
    }

    private void transition(State from, State to) {
        if (state != from) {
            throw new IllegalStateException("response pump of exchange " + exchange.id() + ": " + state + " -> " + to
                    + ", expected from " + from);
        }
        state = to;
    }
}
