package dev.creddy.anthropic.forward;

import dev.creddy.anthropic.usage.ResponseMeter;
import dev.creddy.anthropic.usage.Usage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.EntityDetails;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.nio.AsyncResponseConsumer;
import org.apache.hc.core5.http.nio.CapacityChannel;
import org.apache.hc.core5.http.protocol.HttpContext;

/**
 * Takes the upstream's response: hands its head to the {@link Exchange}, which decides and sets it
 * through the {@link ClientResponseWriter}, meters its body as it passes (the meter reads the bytes and
 * never keeps or changes them) and gives each chunk to the writer. Bytes pass through untouched.
 *
 * <p>A callback that arrives after the exchange has ended throws: HttpClient then fails the upstream
 * exchange and discards its connection, which works where cancelling its future does not (a fresh
 * connection).
 *
 * <p>Thread-safety: HttpClient calls a consumer from the connection's reactor thread, one callback at
 * a time; {@link #failed} may come from another thread. The lock publishes the meter's reading to
 * {@link #usage}, which the exchange's end reads from whichever thread ends it.
 */
final class UpstreamResponseConsumer implements AsyncResponseConsumer<Void> {

    private final Exchange exchange;
    private final ClientResponseWriter writer;
    private final Object lock = new Object();

    private ResponseMeter meter = ResponseMeter.NONE;
    private boolean upstreamEnded;
    private FutureCallback<Void> upstreamDone;

    UpstreamResponseConsumer(Exchange exchange, ClientResponseWriter writer) {
        this.exchange = exchange;
        this.writer = writer;
    }

    @Override
    public void consumeResponse(HttpResponse upstreamResponse, EntityDetails entity, HttpContext context,
            FutureCallback<Void> resultCallback) throws IOException {
        ResponseMeter responseMeter = exchange.meterFor(upstreamResponse);
        synchronized (lock) {
            meter = responseMeter;
            upstreamDone = resultCallback;
            upstreamEnded = entity == null;
        }
        if (!exchange.responseHead(upstreamResponse, entity)) {
            throw new CancelledExchangeException();
        }
        if (entity == null) {
            resultCallback.completed(null);
        }
    }

    @Override
    public void informationResponse(HttpResponse response, HttpContext context) {
        // 1xx responses concern the upstream hop only.
    }

    @Override
    public void updateCapacity(CapacityChannel capacityChannel) throws IOException {
        abortIfEnded();
        writer.updateCapacity(capacityChannel);
    }

    @Override
    public void consume(ByteBuffer src) throws IOException {
        abortIfEnded();
        synchronized (lock) {
            // The meter reads without moving the buffer; confined to this reactor thread but for usage().
            meter.accept(src);
        }
        int length = src.remaining();
        if (writer.body(src)) {
            exchange.responseBodyReceived(length);
        }
    }

    @Override
    public void streamEnd(List<? extends Header> trailers) {
        FutureCallback<Void> done;
        synchronized (lock) {
            upstreamEnded = true;
            done = upstreamDone;
        }
        writer.end();
        // The upstream exchange is over: its connection goes back to the pool while the client drains.
        if (done != null) {
            done.completed(null);
        }
    }

    @Override
    public void failed(Exception cause) {
        exchange.upstreamFailed(cause);
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

    /** The usage read from the body so far: all of it once the body has ended, what came before a cut otherwise. */
    Usage usage() {
        synchronized (lock) {
            return meter.usage();
        }
    }

    /** Whether the meter read the upstream's last word on usage (see {@link ResponseMeter#complete()}). */
    boolean meterComplete() {
        synchronized (lock) {
            return meter.complete();
        }
    }

    private void abortIfEnded() throws CancelledExchangeException {
        if (exchange.isEnded()) {
            throw new CancelledExchangeException();
        }
    }

    @Override
    public void releaseResources() {
        // Pending bytes belong to the client side and drain (or are dropped) there.
    }
}
