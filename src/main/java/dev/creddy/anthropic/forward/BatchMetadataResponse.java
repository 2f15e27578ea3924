package dev.creddy.anthropic.forward;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Locale;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.EntityDetails;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.impl.BasicEntityDetails;
import org.apache.hc.core5.http.nio.AsyncResponseConsumer;
import org.apache.hc.core5.http.nio.CapacityChannel;
import org.apache.hc.core5.http.protocol.HttpContext;

/**
 * The upstream's answer to a batch metadata call: held whole (it is small JSON), its
 * {@code results_url}s re-pointed by a {@link BatchUrlRewriter}, then handed to the
 * {@link UpstreamResponseConsumer} as if the upstream had sent it that way, with a corrected length. Anything
 * else (an error status, a body that is not JSON, a compressed one, one over
 * {@link BatchUrlRewriter#MAX_BODY}) goes to the pump unchanged as it arrives, so the pump's streaming
 * path is the same for every exchange.
 *
 * <p>While holding, the head has not reached the client, so the exchange's header deadline still
 * runs; a body too large to hold is handed over with what was held so far, and the pump's credit for
 * those bytes (which were already credited here) is absorbed, so the upstream window stays as small
 * as the pump alone would keep it.
 *
 * <p>Thread-safety: HttpClient calls a consumer from the connection's reactor thread, one callback at
 * a time; {@link #failed} and {@link #releaseResources} may come from another thread and touch only
 * the pump, which is thread-safe. The lock guards the held bytes and the mode against that overlap;
 * the pump is always called outside it.
 */
final class BatchMetadataResponse implements AsyncResponseConsumer<Void> {

    /** What happens to the upstream's bytes; only moves down this list. */
    private enum Mode {
        /** No head yet. */
        AWAITING_HEAD,
        /** Holding the body to rewrite it. */
        HOLDING,
        /** The pump has the exchange; bytes go straight through. */
        PASSING
    }

    private final Exchange exchange;
    private final UpstreamResponseConsumer pump;
    private final BatchUrlRewriter rewriter;
    private final Object lock = new Object();
    private final DebtCapacity pumpCapacity = new DebtCapacity();

    private Mode mode = Mode.AWAITING_HEAD;
    private HttpResponse head;
    private EntityDetails entity;
    private HttpContext context;
    private FutureCallback<Void> resultCallback;
    private ByteArrayOutputStream held;
    private CapacityChannel capacity;
    /** Bytes held before the capacity channel arrived, to be credited when it does. */
    private int uncredited;

    BatchMetadataResponse(Exchange exchange, UpstreamResponseConsumer pump, BatchUrlRewriter rewriter) {
        this.exchange = exchange;
        this.pump = pump;
        this.rewriter = rewriter;
    }

    @Override
    public void consumeResponse(HttpResponse response, EntityDetails entityDetails, HttpContext httpContext,
            FutureCallback<Void> callback) throws HttpException, IOException {
        if (!worthRewriting(response, entityDetails)) {
            CapacityChannel channel;
            synchronized (lock) {
                mode = Mode.PASSING;
                channel = capacity;
            }
            pump.consumeResponse(response, entityDetails, httpContext, callback);
            if (channel != null) {
                // The channel came before the head: the pump has not seen it yet.
                pumpCapacity.target(channel);
                pump.updateCapacity(pumpCapacity);
            }
            return;
        }
        synchronized (lock) {
            mode = Mode.HOLDING;
            head = response;
            entity = entityDetails;
            context = httpContext;
            resultCallback = callback;
            long length = entityDetails.getContentLength();
            held = new ByteArrayOutputStream(length > 0 ? (int) length : 8192);
        }
    }

    /** A 2xx JSON body with no content coding and no declared length over the cap. */
    private static boolean worthRewriting(HttpResponse response, EntityDetails entityDetails) {
        if (entityDetails == null || response.getCode() < 200 || response.getCode() >= 300
                || entityDetails.getContentLength() > BatchUrlRewriter.MAX_BODY) {
            return false;
        }
        Header encoding = response.getFirstHeader("content-encoding");
        if (encoding != null && !encoding.getValue().strip().equalsIgnoreCase("identity")) {
            return false;
        }
        Header type = response.getFirstHeader("content-type");
        return type != null && type.getValue().strip().toLowerCase(Locale.ROOT).startsWith("application/json");
    }

    @Override
    public void informationResponse(HttpResponse response, HttpContext httpContext) throws HttpException, IOException {
        pump.informationResponse(response, httpContext);
    }

    @Override
    public void updateCapacity(CapacityChannel capacityChannel) throws IOException {
        abortIfFinished();
        boolean passing;
        int credit;
        synchronized (lock) {
            capacity = capacityChannel;
            passing = mode == Mode.PASSING;
            credit = passing ? 0 : uncredited;
            uncredited = 0;
        }
        if (passing) {
            pumpCapacity.target(capacityChannel);
            pump.updateCapacity(pumpCapacity);
        } else if (credit > 0) {
            capacityChannel.update(credit);
        }
    }

    @Override
    public void consume(ByteBuffer src) throws IOException {
        abortIfFinished();
        int length = src.remaining();
        boolean holding;
        CapacityChannel toCredit = null;
        byte[] handOver = null;
        synchronized (lock) {
            holding = mode == Mode.HOLDING;
            if (holding && held.size() + (long) length <= BatchUrlRewriter.MAX_BODY) {
                byte[] chunk = new byte[length];
                src.get(chunk);
                held.write(chunk, 0, length);
                // Held bytes are off the connection: let the upstream send more, up to the cap.
                toCredit = capacity;
                if (toCredit == null) {
                    uncredited += length;
                }
            } else if (holding) {
                // Too large to rewrite: what was held goes to the pump first, then this chunk.
                mode = Mode.PASSING;
                handOver = held.toByteArray();
                held = null;
                pumpCapacity.debit(handOver.length - uncredited);
                uncredited = 0;
            }
        }
        if (holding && handOver == null) {
            if (toCredit != null) {
                toCredit.update(length);
            }
            return;
        }
        if (handOver != null) {
            passOnAsReceived(handOver);
        }
        pump.consume(src);
    }

    /** Gives the pump the upstream's own head and the bytes held so far (their credit, already granted, is debited). */
    private void passOnAsReceived(byte[] heldBytes) throws IOException {
        CapacityChannel channel;
        synchronized (lock) {
            channel = capacity;
        }
        pump.consumeResponse(head, entity, context, resultCallback);
        if (channel != null) {
            pumpCapacity.target(channel);
            pump.updateCapacity(pumpCapacity);
        }
        pump.consume(ByteBuffer.wrap(heldBytes));
    }

    @Override
    public void streamEnd(List<? extends Header> trailers) throws HttpException, IOException {
        byte[] body;
        synchronized (lock) {
            if (mode != Mode.HOLDING) {
                body = null;
            } else {
                mode = Mode.PASSING;
                body = held.toByteArray();
                held = null;
            }
        }
        if (body == null) {
            pump.streamEnd(trailers);
            return;
        }
        byte[] rewritten = rewriter.rewrite(body);
        Header type = head.getFirstHeader("content-type");
        // The new length reaches the client through the pump; the upstream's Content-Length is never copied.
        EntityDetails rewrittenEntity = new BasicEntityDetails(rewritten.length,
                type == null ? null : ContentType.parseLenient(type.getValue()));
        pump.consumeResponse(head, rewrittenEntity, context, resultCallback);
        // The upstream has sent everything: nothing is left to credit.
        pump.updateCapacity(increment -> { });
        pump.consume(ByteBuffer.wrap(rewritten));
        pump.streamEnd(trailers);
    }

    @Override
    public void failed(Exception cause) {
        pump.failed(cause);
    }

    @Override
    public void releaseResources() {
        synchronized (lock) {
            held = null;
        }
        pump.releaseResources();
    }

    /** Like the pump: a consumer that throws ends the upstream exchange and discards its connection. */
    private void abortIfFinished() throws CancelledExchangeException {
        if (exchange.isEnded()) {
            throw new CancelledExchangeException();
        }
    }

    /**
     * The pump's view of the upstream's capacity: credit for bytes this consumer already credited
     * while holding is swallowed, the rest passes to the real channel. Thread-safe.
     */
    private static final class DebtCapacity implements CapacityChannel {
        private long debt;
        private CapacityChannel target;

        synchronized void debit(long bytes) {
            debt += bytes;
        }

        synchronized void target(CapacityChannel channel) {
            target = channel;
        }

        @Override
        public void update(int increment) throws IOException {
            CapacityChannel channel;
            int passed;
            synchronized (this) {
                long absorbed = Math.min(debt, increment);
                debt -= absorbed;
                passed = (int) (increment - absorbed);
                channel = target;
            }
            if (passed > 0 && channel != null) {
                channel.update(passed);
            }
        }
    }
}
