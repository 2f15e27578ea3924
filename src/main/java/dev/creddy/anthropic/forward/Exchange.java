package dev.creddy.anthropic.forward;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.token.TokenLimits;
import dev.creddy.anthropic.usage.ConcurrencyGate;
import dev.creddy.anthropic.usage.StreamBudget;
import dev.creddy.anthropic.usage.RateLimitHeaders;
import dev.creddy.anthropic.token.TokenStoreUnavailableException;
import dev.creddy.anthropic.usage.ResponseMeter;
import dev.creddy.anthropic.usage.SpendAdmission;
import dev.creddy.anthropic.usage.SpendGate;
import dev.creddy.anthropic.usage.ResponseMeters;
import dev.creddy.anthropic.usage.Usage;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.EntityDetails;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.nio.AsyncResponseConsumer;
import org.apache.hc.core5.http.nio.support.BasicRequestProducer;

/**
 * One forwarded request: owns both legs ({@code clientRequest}/{@code clientResponse} on the servlet
 * side through its {@link ClientRequestReader} and {@link ClientResponseWriter}, {@code upstreamRequest}/
 * {@code upstreamResponse} on the HttpClient side), the deadlines, the one error exit and the one end.
 *
 * <p>Its {@link ExchangeState} says where it is; every decision (the head won, the exchange failed,
 * the client left) is a {@link ExchangeState#transition}, and the loser of a race does nothing. The
 * end is reported once, when the writer has finished: on the context's end executor, to every
 * observer (usage, metrics, audit), and only then is the client's response completed, so a client
 * that saw its response end finds its usage already counted.
 *
 * <p>Thread-safety: callbacks arrive on container threads, HttpClient's reactor threads and the
 * deadline timer. The fields set in {@link #start} are written before any listener that could read
 * them is registered.
 */
final class Exchange implements ClientRequestReader.Events, ClientResponseWriter.Events {

    private static final Logger LOG = Logger.getLogger(Exchange.class.getName());
    private static final Set<String> METHODS_WITH_BODY = Set.of("POST", "PUT", "PATCH");

    private final String id;
    private final ForwardedRequest request;
    private final ExchangeContext context;
    private final HttpServletRequest clientRequest;
    private final HttpServletResponse clientResponse;
    private final HttpRequest upstreamRequest;
    private final HeldAnswer batchUrls;
    private final TokenConnections.Permit permit;
    private final ConcurrencyGate.Slot slot;
    private final StreamBudget budget;
    private final long startNanos = System.nanoTime();
    private final ExchangeObserver.Observation observed;

    private ExchangeState state;
    /** Null when the request has no body. */
    private ClientRequestReader reader;
    private ClientResponseWriter writer;
    private UpstreamResponseConsumer consumer;
    private final UpstreamCall upstreamExchange = new UpstreamCall();
    private volatile ScheduledFuture<?> headerDeadline;
    private volatile ScheduledFuture<?> bodyDeadline;
    private volatile String upstreamRequestId;
    /** Holds the request to its dollar budgets; null when none does. Set in the constructor. */
    private final SpendGate spend;

    /**
     * @param batchUrls for a call whose answer the proxy holds to change (batch {@code results_url}s, owners of
     *     files and batches), what changes it; otherwise null
     * @param permit the exchange's place in its token's count of upstream connections; released at the end
     * @param slot the exchange's place under {@code max_concurrent} and {@code agent-concurrency}; released at the end
     * @param budget what ends the response when it takes the token over budget ({@code budget-enforcement=strict})
     */
    Exchange(String id, ForwardedRequest request, ExchangeContext context, HttpServletRequest clientRequest,
            HttpServletResponse clientResponse, HttpRequest upstreamRequest, HeldAnswer batchUrls,
            TokenConnections.Permit permit, ConcurrencyGate.Slot slot, StreamBudget budget) {
        this.id = id;
        this.request = request;
        this.context = context;
        this.clientRequest = clientRequest;
        this.clientResponse = clientResponse;
        this.upstreamRequest = upstreamRequest;
        this.batchUrls = batchUrls;
        this.permit = permit;
        this.slot = slot;
        this.budget = budget;
        this.observed = context.started(request);
        this.spend = context.spendGate(request);
    }

    /** Goes asynchronous and starts reading and, unless the model gate holds it, sending; returns at once. */
    void start() throws IOException {
        AsyncContext asyncContext = clientRequest.startAsync(clientRequest, clientResponse);
        // Only the upstream leg owns timeouts: streams of extended thinking run for many minutes.
        asyncContext.setTimeout(0);
        writer = new ClientResponseWriter(new ServletClientLeg(clientResponse, asyncContext), this);
        consumer = new UpstreamResponseConsumer(this, writer);
        reader = readerFor(clientRequest);
        state = new ExchangeState(reader != null && reader.isGated() ? ExchangeState.Phase.GATED
                : ExchangeState.Phase.AWAITING_HEAD);
        asyncContext.addListener(new ClientListener());
        // Both listeners are set here, on the container thread: see ClientResponseWriter.start.
        writer.start();
        if (reader != null) {
            bodyDeadline = context.upstream().schedule(this::bodyDeadlinePassed, context.bodyTimeout());
            clientRequest.getInputStream().setReadListener(reader);
        }
        // From here a revocation of the token ends the exchange; finished() takes it out again.
        context.running().add(this);
        if (state.phase() == ExchangeState.Phase.AWAITING_HEAD) {
            sendUpstream();
        }
    }

    private ClientRequestReader readerFor(HttpServletRequest clientRequest) throws IOException {
        long length = clientRequest.getContentLengthLong();
        boolean chunked = clientRequest.getHeader("transfer-encoding") != null;
        if (length < 0 && !chunked) {
            // No framing means no body (RFC 9112 §6.3); POST and friends still get an explicit empty one.
            if (!METHODS_WITH_BODY.contains(request.method().toUpperCase(Locale.ROOT))) {
                return null;
            }
            length = 0;
        }
        // A request held to a dollar budget is gated too: its model must be priced, and is read for the reservation.
        ModelCheck modelCheck = ModelCheck.forRequest(request.caller().limits(), request.method(), request.path(),
                spend == null ? null : context.prices());
        // The files the body names must be its agent's (issue 15, S8); late answers act on the deadline timer.
        FileReferenceCheck fileCheck = FileReferenceCheck.forRequest(request, clientRequest.getContentType(),
                String.join(",", java.util.Collections.list(clientRequest.getHeaders("content-encoding"))), context.owners(),
                task -> context.upstream().schedule(task, Duration.ZERO));
        return new ClientRequestReader(this, clientRequest.getInputStream(), chunked ? -1 : length, request.bodyLimit(),
                modelCheck, fileCheck);
    }

    /** Sends {@code upstreamRequest}; the exchange is {@link ExchangeState.Phase#AWAITING_HEAD}. */
    private void sendUpstream() {
        try {
            headerDeadline = context.upstream().schedule(this::headerDeadlinePassed, context.headerTimeout());
            AsyncResponseConsumer<Void> upstreamResponse = batchUrls == null ? consumer
                    : new BatchMetadataResponse(this, consumer, batchUrls);
            upstreamExchange.start(() -> context.upstream().execute(new BasicRequestProducer(upstreamRequest, reader),
                    upstreamResponse, new UpstreamOutcome()));
        } catch (RuntimeException e) {
            // Past startAsync the container's error page cannot answer; the exchange's own exit must.
            LOG.log(Level.SEVERE, "exchange " + id + " could not start: " + e.getClass().getName());
            fail(Outcome.PROXY_FAILED, e);
        }
    }

    // --- the reader's events ----------------------------------------------------------------------

    @Override
    public void gateOpened() {
        if (spend != null && !reserveSpend()) {
            return;
        }
        if (state.transition(ExchangeState.Phase.AWAITING_HEAD, 0, null) != null) {
            sendUpstream();
        }
    }

    /**
     * Reserves the request's estimate before anything goes upstream; false (and the exchange failed
     * with a 429, or a 503 when the store cannot be asked) when a budget refuses. Runs on the container
     * thread that read the body to the gate, like the servlet's own admission.
     */
    private boolean reserveSpend() {
        SpendAdmission admission;
        try {
            admission = spend.reserve(reader.model(), reader.maxTokens(), reader.bodySize(), Instant.now());
        } catch (TokenStoreUnavailableException e) {
            fail(Outcome.BUDGET_REFUSED, new RequestRefusedException(ApiError.retryAfter(503,
                    "the token store (Redis) holding the dollar budgets cannot be reached; try again shortly",
                    java.time.Duration.ofSeconds(2))));
            return false;
        }
        if (!admission.admitted()) {
            fail(Outcome.BUDGET_REFUSED, new RequestRefusedException(BudgetRefusal.of(admission, request.caller(), Instant.now())));
            return false;
        }
        return true;
    }

    @Override
    public void bodyRead(int bytes) {
        observed.requestBodyRead(bytes);
    }

    @Override
    public void bodyEnded() {
        cancel(bodyDeadline);
    }

    @Override
    public void bodyFailed(Outcome outcome, Throwable cause) {
        fail(outcome, cause);
    }

    @Override
    public boolean isEnded() {
        return state.isEnded();
    }

    // --- the upstream's events --------------------------------------------------------------------

    /**
     * The upstream answered: its status and headers go to the client. Called once, on a reactor thread;
     * false when the exchange has already ended (a deadline or the client won the race).
     */
    boolean responseHead(HttpResponse upstreamResponse, EntityDetails entity) {
        int status = upstreamResponse.getCode();
        if (state.isEnded()) {
            return false;
        }
        cancel(headerDeadline);
        observed.responseHead(status, System.nanoTime() - startNanos);
        upstreamRequestId = headerValue(upstreamResponse, "request-id");
        boolean sse = isEventStream(headerValue(upstreamResponse, "content-type"));
        Map<String, String> extra = new LinkedHashMap<>();
        if (sse) {
            // Tells an nginx in front of us not to buffer the stream.
            extra.put("X-Accel-Buffering", "no");
        }
        if (request.admission() != null) {
            extra.putAll(RateLimitHeaders.of(request.caller().limits(), request.admission()));
        }
        if (reader != null && !reader.wholeBodyRead()) {
            // The upstream answered before the client finished its body: the rest is never read.
            extra.put("Connection", "close");
        }
        long length = entity == null ? 0 : entity.getContentLength();
        return writer.head(status, context.headers().forClient(upstreamResponse.getHeaders()), length, extra, sse,
                entity != null);
    }

    /** What reads the usage from the upstream's response body, chosen by its head. */
    ResponseMeter meterFor(HttpResponse upstreamResponse) {
        if (!context.usageMetering()) {
            return ResponseMeter.NONE;
        }
        return ResponseMeters.forResponse(request.method(), request.path(), upstreamResponse.getCode(),
                headerValue(upstreamResponse, "content-type"), headerValue(upstreamResponse, "content-encoding"),
                unreadableCharge(request.caller().limits()), context.prices());
    }

    /**
     * What a metered answer the meters cannot read is charged: enough to reach the token's tightest
     * counted limit, so it cannot run on unmetered; nothing when the token counts no tokens.
     */
    private static long unreadableCharge(TokenLimits limits) {
        long charge = 0;
        if (limits.maxTokensTotal().isPresent()) {
            charge = Math.max(charge, limits.maxTokensTotal().getAsLong());
        }
        if (limits.tpm().isPresent()) {
            charge = Math.max(charge, limits.tpm().getAsLong());
        }
        return charge;
    }

    void responseBodyReceived(int bytes) {
        observed.responseBodyReceived(bytes);
        if (budget != StreamBudget.UNLIMITED && !state.isEnded() && budget.exceededBy(consumer.usage())) {
            // On the deadline timer, as the deadlines end exchanges: not inside the consumer's callback,
            // which cancelling the upstream exchange reports back into. A chunk or two more may ask
            // again before it runs; the state lets only the first end count.
            context.upstream().schedule(() -> fail(Outcome.BUDGET_EXCEEDED, null), Duration.ZERO);
        }
    }

    /** The upstream exchange failed; a failure after the whole response arrived concerns only the connection. */
    void upstreamFailed(Exception cause) {
        if (!consumer.hasWholeResponse()) {
            fail(Outcome.ofUpstream(cause), cause);
        }
    }

    // --- the writer's events ----------------------------------------------------------------------

    /**
     * The exchange streams once the writer sets the upstream's head on the response, not when it arrives:
     * until then a failure still answers with its own status in the head's place (see ClientResponseWriter).
     */
    @Override
    public boolean headGoing(int status) {
        return state.transition(ExchangeState.Phase.STREAMING, status, null) != null;
    }

    @Override
    public void clientFailed(Throwable cause) {
        fail(Outcome.CLIENT_DISCONNECTED, cause);
    }

    /**
     * The writer is done: the exchange ends here (completed, unless a failure ended it first), and its
     * end is reported off the reactor before the client's response is completed.
     */
    @Override
    public void finished(boolean broken) {
        state.end(Outcome.COMPLETED, 0);
        cancel(headerDeadline);
        cancel(bodyDeadline);
        permit.release();
        ExchangeState.Snapshot ended = state.get();
        Usage metered = consumer.usage();
        if (metered.tokens() > 0 && (ended.outcome() != Outcome.COMPLETED || !consumer.meterComplete())) {
            // What the upstream reported before the end is charged, and marked as partial.
            metered = metered.asPartial();
        }
        Usage used = metered.plus(new Usage(1, 0, 0, 0, 0,
                ended.status() >= 400 || ended.status() == 0 || ended.outcome() != Outcome.COMPLETED ? 1 : 0));
        ExchangeEnd end = new ExchangeEnd(id, request, ended.status(), ended.outcome(), System.nanoTime() - startNanos,
                Instant.now(), upstreamRequestId, reader == null ? null : reader.model(), used, spend);
        Runnable report = () -> {
            observed.ended(end);
            if (reader == null) {
                writer.release(broken);
            } else {
                reader.closeThen(() -> writer.release(broken));
            }
        };
        try {
            context.ends().execute(report);
        } catch (RejectedExecutionException e) {
            // Shutting down: the end is still reported, here.
            report.run();
        } finally {
            // After the end is on its way, so that nothing here can keep it from being reported.
            context.running().remove(this);
            slot.release();
        }
    }

    // --- the one error exit -----------------------------------------------------------------------

    /**
     * Ends the exchange with {@code outcome}. Before the upstream's head, the client gets an Anthropic
     * JSON error (with {@code Connection: close} when its body was not read to its end); after, the
     * stream is ended (with an SSE {@code error} event where the response is SSE, with a broken
     * connection otherwise). The upstream exchange is cancelled, which discards its connection rather
     * than returning it to the pool. Whichever failure comes first wins; of the rest only the
     * client's disconnection still acts (see below).
     */
    void fail(Outcome outcome, Throwable cause) {
        ApiError error = outcome == Outcome.CLIENT_DISCONNECTED ? null : context.errors().errorFor(outcome, cause, request);
        // Decide first, cancel second: cancelling reports back through the upstream callbacks, and those
        // must find the exchange already ended for this reason.
        ExchangeState.Phase was = state.fail(outcome, error == null ? 0 : error.status());
        if (was == null) {
            if (outcome == Outcome.CLIENT_DISCONNECTED && writer != null) {
                // An earlier failure decided the outcome (a 408 being written, say), but the client left
                // before the writer was done. Tomcat answers that hang-up through its own error path,
                // which calls no WriteListener.onError: the writer would wait for a write callback that
                // never comes, and the exchange would never end (nor be reported, nor free its slot).
                writer.clientGone();
            }
            return;
        }
        cancelUpstream();
        cancel(bodyDeadline);
        LOG.log(Level.FINE, "exchange " + id + " failed in " + was + ": " + outcome.wireName(), cause);
        if (error == null) {
            writer.clientGone();
        } else {
            boolean closeConnection = reader != null && !reader.wholeBodyRead();
            writer.error(error, context.errorJson(error), context.errorEvent(error), closeConnection);
        }
    }

    /**
     * Cancels the upstream exchange, which discards its connection instead of pooling it. HttpClient
     * (5.5, 5.6) can only cancel an exchange that started on an already-open connection; on a new one,
     * the reader and the consumer end it instead by failing their next callback (see {@link #isEnded()}).
     */
    private void cancelUpstream() {
        cancel(headerDeadline);
        upstreamExchange.cancel();
    }

    private void headerDeadlinePassed() {
        fail(Outcome.UPSTREAM_TIMEOUT, new HeaderTimeoutException());
    }

    private void bodyDeadlinePassed() {
        if (reader != null && !reader.wholeBodyRead()) {
            fail(Outcome.REQUEST_BODY_TIMEOUT, null);
        }
    }

    private static void cancel(ScheduledFuture<?> deadline) {
        if (deadline != null) {
            deadline.cancel(false);
        }
    }

    String id() {
        return id;
    }

    /** The id of the token the exchange runs under. */
    String tokenId() {
        return request.caller().id().value();
    }

    private static String headerValue(HttpResponse response, String name) {
        Header header = response.getFirstHeader(name);
        return header == null ? null : header.getValue();
    }

    /** Whether a content type is an SSE stream. */
    static boolean isEventStream(String contentType) {
        return contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith("text/event-stream");
    }

    /** Hears the client leg's end; only errors matter (the timeout is off). */
    private final class ClientListener implements AsyncListener {
        @Override
        public void onComplete(AsyncEvent event) {
            // Completion is ours; nothing to add.
        }

        @Override
        public void onTimeout(AsyncEvent event) {
            // The exchange set no timeout: the container times out requests still running only when it
            // stops and its wait (Tomcat's unloadDelay, set from shutdown-grace) has run out. The client
            // is still there and must learn that its response was cut, not see it end as if complete.
            fail(Outcome.STOPPED, event.getThrowable());
        }

        @Override
        public void onError(AsyncEvent event) {
            fail(Outcome.CLIENT_DISCONNECTED, event.getThrowable());
        }

        @Override
        public void onStartAsync(AsyncEvent event) {
            // The exchange starts async once.
        }
    }

    /** Hears the upstream exchange's end; failures go to the error exit, success is the writer's. */
    private final class UpstreamOutcome implements FutureCallback<Void> {
        @Override
        public void completed(Void result) {
            // The writer finishes the client's response once it has written everything.
        }

        @Override
        public void failed(Exception cause) {
            upstreamFailed(cause);
        }

        @Override
        public void cancelled() {
            // Only we cancel, from the error exit.
        }
    }
}
