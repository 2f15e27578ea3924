package dev.creddy.anthropic.forward;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.observe.AuditEntry;
import dev.creddy.anthropic.token.TokenRecord;
import dev.creddy.anthropic.usage.Admission;
import dev.creddy.anthropic.usage.RateLimitHeaders;
import dev.creddy.anthropic.usage.ResponseMeter;
import dev.creddy.anthropic.usage.ResponseMeters;
import dev.creddy.anthropic.usage.Usage;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.nio.AsyncResponseConsumer;
import org.apache.hc.core5.http.nio.support.BasicRequestProducer;

/**
 * One forwarded request: owns both legs ({@code clientRequest}/{@code clientResponse} on the servlet
 * side, {@code upstreamRequest}/{@code upstreamResponse} on the HttpClient side), the deadline for
 * the upstream's headers, the one error exit and the one completion.
 *
 * <p>Thread-safety: callbacks arrive on container threads, HttpClient's reactor threads and the
 * deadline timer. The {@link Stage} moves only by compare-and-set, so exactly one of "the upstream
 * answered" and "the exchange failed" wins, and the {@code AsyncContext} is completed exactly once.
 */
final class Exchange {

    private static final Logger LOG = Logger.getLogger(Exchange.class.getName());

    /** Where the exchange is; it only moves forward. */
    private enum Stage {
        /** Sent (or sending); the client has been told nothing yet. */
        AWAITING_RESPONSE,
        /** The upstream's status and headers went to the client; the body is streaming. */
        STREAMING,
        /** Completed or failed; nothing more may be written. */
        FINISHED
    }

    private final String id;
    private final HttpServletRequest clientRequest;
    private final HttpServletResponse clientResponse;
    private final TokenRecord caller;
    private final Forwarder forwarder;
    private final long startNanos = System.nanoTime();
    /** Read up front: once the async context completes, the container recycles the request object. */
    private final String clientAddress;
    private final String method;
    private final String path;
    private final ExchangeObserver.Observation observed;
    private final long bodyLimit;
    /** How the token stood against its limits when admitted; null for a token without counted limits. */
    private final Admission admission;
    private final AtomicReference<Stage> stage = new AtomicReference<>(Stage.AWAITING_RESPONSE);
    private final AtomicBoolean completed = new AtomicBoolean();

    private AsyncContext asyncContext;
    private ResponseBodyPump responsePump;
    private ModelCheck modelCheck;
    private volatile Future<Void> upstreamExchange;
    private volatile boolean cancelRequested;
    private volatile ScheduledFuture<?> headerDeadline;
    private volatile int status;
    private volatile String outcome = "completed";
    private volatile String upstreamRequestId;

    Exchange(String id, HttpServletRequest clientRequest, HttpServletResponse clientResponse, TokenRecord caller,
            Admission admission, Forwarder forwarder) {
        this.id = id;
        this.clientRequest = clientRequest;
        this.clientResponse = clientResponse;
        this.caller = caller;
        this.admission = admission;
        this.forwarder = forwarder;
        this.clientAddress = clientRequest.getRemoteAddr();
        this.method = clientRequest.getMethod();
        this.path = Forwarder.pathOf(clientRequest);
        this.observed = forwarder.observer().started(caller, method, path);
        this.bodyLimit = forwarder.bodyLimits().limitFor(method, path);
    }

    /**
     * Goes asynchronous and sends {@code upstreamRequest}; returns at once, on the container thread.
     *
     * @param batchUrls for a batch metadata call, what re-points its {@code results_url}s; otherwise null
     */
    void start(HttpRequest upstreamRequest, BatchUrlRewriter batchUrls) throws IOException {
        asyncContext = clientRequest.startAsync(clientRequest, clientResponse);
        // Only the upstream leg owns timeouts: streams of extended thinking run for many minutes.
        asyncContext.setTimeout(0);
        asyncContext.addListener(new ClientListener());
        modelCheck = ModelCheck.forRequest(caller.limits(), method, path);
        RequestBodyPump requestBody = RequestBodyPump.forRequest(this, clientRequest, bodyLimit, modelCheck);
        responsePump = new ResponseBodyPump(this, clientResponse);
        AsyncResponseConsumer<Void> upstreamResponseConsumer = batchUrls == null ? responsePump
                : new BatchMetadataResponse(this, responsePump, batchUrls);
        // Both listeners are set here, on the container thread: see ResponseBodyPump.start.
        responsePump.start();
        if (requestBody != null) {
            clientRequest.getInputStream().setReadListener(requestBody);
        }
        try {
            headerDeadline = forwarder.upstream().schedule(this::headerDeadlinePassed, forwarder.headerTimeout());
            upstreamExchange = forwarder.upstream().execute(
                    new BasicRequestProducer(upstreamRequest, requestBody), upstreamResponseConsumer, new UpstreamOutcome());
        } catch (RuntimeException e) {
            // Past startAsync the container's error page cannot answer; the exchange's own exit must.
            LOG.log(Level.SEVERE, "exchange " + id + " could not start: " + e.getClass().getName());
            fail(FailureKind.INTERNAL, e);
            return;
        }
        if (cancelRequested) {
            // Failed while execute() was still returning: make sure nothing stays in flight. (Not on
            // FINISHED alone: a small response can complete normally before execute() returns, and
            // cancelling that finished exchange would report a failure for a whole response.)
            upstreamExchange.cancel(true);
        }
    }

    /**
     * The upstream answered: copy status and headers to the client. Called once, on a reactor
     * thread; false when the exchange has already failed (the deadline won the race).
     */
    boolean beginResponse(HttpResponse upstreamResponse, long contentLength, boolean sse) {
        if (!stage.compareAndSet(Stage.AWAITING_RESPONSE, Stage.STREAMING)) {
            return false;
        }
        cancelDeadline();
        status = upstreamResponse.getCode();
        observed.responseHead(status, System.nanoTime() - startNanos);
        Header requestId = upstreamResponse.getFirstHeader("request-id");
        upstreamRequestId = requestId == null ? null : requestId.getValue();
        clientResponse.setStatus(status);
        for (Header header : forwarder.headers().forClient(upstreamResponse.getHeaders())) {
            clientResponse.addHeader(header.getName(), header.getValue());
        }
        if (contentLength >= 0) {
            clientResponse.setContentLengthLong(contentLength);
        }
        if (sse) {
            // Tells an nginx in front of us not to buffer the stream.
            clientResponse.setHeader("X-Accel-Buffering", "no");
        }
        if (admission != null) {
            RateLimitHeaders.of(caller.limits(), admission).forEach(clientResponse::setHeader);
        }
        return true;
    }

    /** What reads the usage from the upstream's response body, chosen by its head. */
    ResponseMeter meterFor(HttpResponse upstreamResponse) {
        if (!forwarder.settings().usageMetering()) {
            return ResponseMeter.NONE;
        }
        return ResponseMeters.forResponse(method, path, upstreamResponse.getCode(), headerValue(upstreamResponse, "content-type"),
                headerValue(upstreamResponse, "content-encoding"));
    }

    private static String headerValue(HttpResponse response, String name) {
        Header header = response.getFirstHeader(name);
        return header == null ? null : header.getValue();
    }

    /** The exchange ended normally: complete the client's response. Idempotent. */
    void complete() {
        end(false);
    }

    /**
     * Ends a committed, non-SSE response that cannot be finished (the upstream broke mid-body) by
     * breaking the client's connection: completing it would pass a truncated body off as whole (a
     * chunked one ends cleanly; one with a Content-Length leaves the client waiting). There is no
     * Servlet API for this, so the exchange dispatches to a target that fails after commit, which
     * containers answer by closing the connection.
     */
    void abortConnection() {
        end(true);
    }

    private void end(boolean abort) {
        stage.set(Stage.FINISHED);
        if (!completed.compareAndSet(false, true)) {
            return;
        }
        Usage used = responsePump.usage().plus(new Usage(1, 0, 0, 0, 0, isError() ? 1 : 0));
        observed.used(used);
        observed.completed(status, outcome, System.nanoTime() - startNanos);
        cancelDeadline();
        forwarder.recordUsage(caller, used);
        try {
            if (abort) {
                clientRequest.setAttribute(Forwarder.ABORT_ATTRIBUTE, Boolean.TRUE);
                asyncContext.dispatch(Forwarder.ABORT_PATH);
            } else {
                asyncContext.complete();
            }
        } catch (IllegalStateException e) {
            // The container already ended the request after a client error; there is nothing to complete.
            LOG.log(Level.FINE, "exchange " + id + ": async context already ended", e);
        }
        forwarder.audit().record(AuditEntry.forwarded(Instant.now().toString(), id, caller.agentName(),
                caller.id().value(), clientAddress, method, path, status, outcome, elapsedMillis(), upstreamRequestId,
                modelCheck == null ? null : modelCheck.model(), used, caller.identity().orElse(null)));
    }

    /** Whether the client got an error (or nothing whole): what the usage counts as errors. */
    private boolean isError() {
        return status >= 400 || status == 0 || !outcome.equals("completed");
    }

    /**
     * The one error exit. Before the upstream answered, the client gets an Anthropic JSON error; after,
     * the stream is ended (with an SSE {@code error} event where the response is SSE). The upstream
     * exchange is cancelled, which discards its connection rather than returning it to the pool.
     */
    void fail(FailureKind kind, Throwable cause) {
        // Decide first, cancel second: cancelling reports back through the upstream callbacks, and
        // those must find the exchange already failed for this reason.
        if (stage.compareAndSet(Stage.AWAITING_RESPONSE, Stage.FINISHED)) {
            outcome = kind.outcome();
            cancelUpstream();
            LOG.log(Level.FINE, "exchange " + id + " failed before the response: " + kind, cause);
            if (kind == FailureKind.CLIENT_GONE) {
                complete();
            } else {
                // The body limit depends on the endpoint, which only the exchange knows; a refused model names itself.
                ApiError error = kind == FailureKind.REQUEST_TOO_LARGE ? BodyLimits.tooLarge(bodyLimit)
                        : cause instanceof RequestRefusedException refused ? refused.error()
                        : kind.toApiError(forwarder.settings());
                status = error.status();
                responsePump.respond(error, forwarder.json().errorJson(error));
            }
        } else if (stage.compareAndSet(Stage.STREAMING, Stage.FINISHED)) {
            outcome = kind.outcome();
            cancelUpstream();
            LOG.log(Level.FINE, "exchange " + id + " failed while streaming: " + kind, cause);
            responsePump.abort(kind == FailureKind.CLIENT_GONE ? null : kind.toApiError(forwarder.settings()));
        }
    }

    /**
     * Cancels the upstream exchange, which discards its connection instead of pooling it. HttpClient
     * (5.5, 5.6) can only cancel an exchange that started on an already-open connection; on a new
     * one, the pumps end it instead by failing their next callback (see {@link #isFinished()}).
     */
    private void cancelUpstream() {
        cancelRequested = true;
        cancelDeadline();
        Future<Void> inFlight = upstreamExchange;
        if (inFlight != null) {
            inFlight.cancel(true);
        }
    }

    /** Whether the exchange is over; a pump called back after that aborts the upstream connection. */
    boolean isFinished() {
        return stage.get() == Stage.FINISHED;
    }

    private void headerDeadlinePassed() {
        fail(FailureKind.HEADER_TIMEOUT, new HeaderTimeoutException());
    }

    private void cancelDeadline() {
        ScheduledFuture<?> deadline = headerDeadline;
        if (deadline != null) {
            deadline.cancel(false);
        }
    }

    private double elapsedMillis() {
        return Math.round((System.nanoTime() - startNanos) / 10_000.0) / 100.0;
    }

    String id() {
        return id;
    }

    /** The pumps report the body bytes they move; counted only, never held. */
    void requestBodyRead(int bytes) {
        observed.requestBodyRead(bytes);
    }

    void responseBodyReceived(int bytes) {
        observed.responseBodyReceived(bytes);
    }

    /** The bytes of an SSE {@code error} event for a stream that fails after its headers went out. */
    byte[] errorEvent(ApiError error) {
        return forwarder.json().errorEvent(error);
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
            fail(FailureKind.CLIENT_GONE, event.getThrowable());
        }

        @Override
        public void onError(AsyncEvent event) {
            fail(FailureKind.CLIENT_GONE, event.getThrowable());
        }

        @Override
        public void onStartAsync(AsyncEvent event) {
            // The exchange starts async once.
        }
    }

    /** Hears the upstream exchange's end; failures go to the error exit, success is the pump's. */
    private final class UpstreamOutcome implements FutureCallback<Void> {
        @Override
        public void completed(Void result) {
            // The response pump completes the client's response once it has written everything.
        }

        @Override
        public void failed(Exception cause) {
            if (!responsePump.hasWholeResponse()) {
                fail(FailureKind.ofUpstream(cause), cause);
            }
        }

        @Override
        public void cancelled() {
            // Only we cancel, from the error exit.
        }
    }
}
