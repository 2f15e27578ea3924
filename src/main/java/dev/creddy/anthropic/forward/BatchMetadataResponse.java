package dev.creddy.anthropic.forward;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import dev.creddy.anthropic.api.ApiError;
import java.util.List;
import java.util.concurrent.CompletionException;
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
 * The upstream's answer to a call whose small JSON answer the proxy changes: held whole, handed to
 * its {@link HeldAnswer} (batch metadata gets its {@code results_url}s re-pointed by a
 * {@link BatchUrlRewriter}; creating, deleting and listing files and batches go through an
 * {@link OwnedObjectAnswer}), then handed to the {@link UpstreamResponseConsumer} as if the upstream had
 * sent it that way, with a corrected length. Anything else (an error status, a body that is not JSON,
 * a compressed one, one over {@link BatchUrlRewriter#MAX_BODY}) goes to the pump unchanged as it
 * arrives, so the pump's streaming path is the same for every exchange, unless the held answer may not
 * pass unheld ({@link HeldAnswer#mayPassUnheld()}: a listing that must be filtered), in which case a
 * 2xx it cannot hold fails the exchange with 502.
 *
 * <p>The held answer may complete later, on a store's thread (Redis): the body reaches the pump from
 * there, which is safe because HttpClient calls this consumer no more once the stream has ended.
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
    private final HeldAnswer rewriter;
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

    BatchMetadataResponse(Exchange exchange, UpstreamResponseConsumer pump, HeldAnswer rewriter) {
        this.exchange = exchange;
        this.pump = pump;
        this.rewriter = rewriter;
    }

    @Override
    public void consumeResponse(HttpResponse response, EntityDetails entityDetails, HttpContext httpContext,
            FutureCallback<Void> callback) throws HttpException, IOException {
        if (!worthRewriting(response, entityDetails)) {
            if (!rewriter.mayPassUnheld() && response.getCode() >= 200 && response.getCode() < 300) {
                refuseUnheld();
            }
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
        boolean mayNotPass = false;
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
            } else if (holding && !rewriter.mayPassUnheld()) {
                mode = Mode.PASSING;
                held = null;
                mayNotPass = true;
            } else if (holding) {
                // Too large to rewrite: what was held goes to the pump first, then this chunk.
                mode = Mode.PASSING;
                handOver = held.toByteArray();
                held = null;
                pumpCapacity.debit(handOver.length - uncredited);
                uncredited = 0;
            }
        }
        if (mayNotPass) {
            refuseUnheld();
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
        rewriter.answer(body).whenComplete((rewritten, failure) -> {
            if (failure != null) {
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
                exchange.fail(cause instanceof RequestRefusedException ? Outcome.UPSTREAM_FAILED : Outcome.PROXY_FAILED, cause);
                return;
            }
            try {
                passOnRewritten(rewritten, trailers);
            } catch (CancelledExchangeException e) {
                // The exchange ended while the answer was being made (its header deadline, the client): nothing to send.
            } catch (IOException | HttpException | RuntimeException e) {
                exchange.fail(Outcome.PROXY_FAILED, e);
            }
        });
    }

    private void passOnRewritten(byte[] rewritten, List<? extends Header> trailers) throws HttpException, IOException {
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

    /**
     * Fails the exchange with 502 for a 2xx answer that must be held to be shown (a listing to filter)
     * but cannot be, and ends the upstream exchange: fail closed rather than show what may not be seen.
     */
    private void refuseUnheld() throws CancelledExchangeException {
        exchange.fail(Outcome.UPSTREAM_FAILED, new RequestRefusedException(ApiError.of(502,
                "the Anthropic API's answer could not be read (compressed, not JSON, or over "
                        + BatchUrlRewriter.MAX_BODY / (1024 * 1024) + " MB), so the proxy cannot filter it "
                        + "to this agent's own objects")));
        throw new CancelledExchangeException();
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
     * while holding is swallowed, the rest passes to the real channel. Thread-safe. Package-private for
     * its unit test.
     */
    static final class DebtCapacity implements CapacityChannel {
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
