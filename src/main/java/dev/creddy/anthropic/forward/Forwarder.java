package dev.creddy.anthropic.forward;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.api.JsonCodec;
import dev.creddy.anthropic.config.Settings;
import dev.creddy.anthropic.observe.AuditLog;
import dev.creddy.anthropic.observe.AuditObserver;
import dev.creddy.anthropic.observe.UsageRecorder;
import dev.creddy.anthropic.ownership.ConfiguredObjectOwners;
import dev.creddy.anthropic.ownership.ObjectOwners;
import dev.creddy.anthropic.token.ConfiguredTokenRegistry;
import dev.creddy.anthropic.token.TokenRecord;
import dev.creddy.anthropic.usage.ConcurrencyGate;
import dev.creddy.anthropic.usage.StreamBudget;
import dev.creddy.anthropic.usage.ResponseMeters;
import dev.creddy.anthropic.usage.UsageLedger;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.spi.JsonProvider;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.message.BasicHeader;
import org.apache.hc.core5.http.message.BasicHttpRequest;

/**
 * Forwards authenticated requests to the upstream: builds the upstream request through the
 * {@link HeaderPolicy} and starts an {@link Exchange} with the one {@link ExchangeContext} every
 * exchange shares. The servlet calls only this class's public methods, and nothing below it goes
 * through a CDI client proxy. Thread-safe.
 */
@ApplicationScoped
public class Forwarder {

    /** Where an exchange dispatches to break a committed response's connection (see ServletClientLeg.abort). */
    public static final String ABORT_PATH = "/_creddy/abort";
    /** The request attribute that tells the abort target the dispatch is an exchange's. */
    public static final String ABORT_ATTRIBUTE = "creddy.abort";

    /** Ends waiting to be reported; past this the reporting thread is behind by seconds and ends run where they happen. */
    private static final int END_QUEUE = 16_384;

    private Settings settings;
    private BodyLimits bodyLimits;
    private PublicUrl publicUrl;
    private JsonProvider jsonProvider;
    private UpstreamTarget target;
    private HttpHost upstreamHost;
    private ExchangeContext context;
    private ThreadPoolExecutor ends;
    private ObjectOwners owners;
    private BudgetEnforcement budgets;

    /** For CDI's proxy. */
    protected Forwarder() {
    }

    @Inject
    public Forwarder(Settings settings, UpstreamClient upstream, JsonCodec json, AuditLog audit, ExchangeObserver metrics,
            UsageLedger ledger, ConfiguredObjectOwners owners, ConfiguredTokenRegistry registry) {
        this.settings = settings;
        this.owners = ContextualInstances.unwrap(owners);
        this.target = new UpstreamTarget(settings.upstreamUrl());
        this.upstreamHost = HttpHost.create(target.base());
        this.bodyLimits = new BodyLimits(settings);
        this.publicUrl = new PublicUrl(settings.publicUrl(), settings.trustForwardedHeaders());
        // Looked up here, where the application's class loader is current; reactor threads may have another.
        this.jsonProvider = JsonProvider.provider();
        this.ends = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(END_QUEUE),
                UpstreamClient.appThreads("creddy-exchange-ends"), (task, executor) -> task.run());
        UpstreamClient client = ContextualInstances.unwrap(upstream);
        // Revocations end exchanges on the deadline timer, as deadlines do, never on the thread that heard of them.
        RunningExchanges running = new RunningExchanges(task -> client.schedule(task, Duration.ZERO));
        // Usage first: a client that saw its response end must find it counted; the audit line last.
        // The beans behind their client proxies: every exchange calls them (see ContextualInstances).
        this.context = new ExchangeContext(new HeaderPolicy(), ContextualInstances.unwrap(upstream),
                settings.upstreamHeaderTimeout(), settings.requestBodyTimeout(), new ErrorExit(settings),
                ContextualInstances.unwrap(json), List.of(new UsageRecorder(ContextualInstances.unwrap(ledger)),
                        ContextualInstances.unwrap(metrics), new AuditObserver(ContextualInstances.unwrap(audit))),
                ends, settings.usageMetering(), new TokenConnections(settings.upstreamConnectionsPerToken()),
                settings.priceTable(), ContextualInstances.unwrap(ledger), settings.agentBudgets(), running,
                this.owners);
        registry.onRevocation(running::revoked);
        registry.watchRunning(running::tokens);
        // The budgets a strict stream is held to: tokens, and dollars (max_cost_usd, agent-budgets).
        this.budgets = new BudgetEnforcement(settings.enforcement().strictBudgets(), List.of(StreamBudget.TOKENS,
                StreamBudget.dollars(ContextualInstances.unwrap(ledger), settings.agentBudgets())));
    }

    /**
     * The upstream request-target for a path and the client's raw query, or empty when the path may
     * not be forwarded.
     */
    public Optional<String> requestTarget(String path, String rawQuery) {
        return target.requestTarget(path, rawQuery);
    }

    /** The largest body forwarded for a request (see {@link BodyLimits}). */
    public long bodyLimit(String method, String path) {
        return bodyLimits.limitFor(method, path);
    }

    /**
     * Starts forwarding: goes async and returns at once. The caller has authenticated the request,
     * checked the target and admitted it under the token's limits; from here every outcome is the
     * exchange's.
     *
     * @param slot the request's place under its concurrency caps: the exchange releases it at its end;
     *     released here when no exchange starts
     * @return empty when the exchange started; the refusal when the token already holds as many
     *     upstream connections as it may ({@code upstream-connections-per-token})
     */
    public Optional<ApiError> forward(HttpServletRequest clientRequest, HttpServletResponse clientResponse,
            ForwardedRequest request, ConcurrencyGate.Slot slot) throws IOException {
        TokenConnections.Permit permit = context.connections().tryAcquire(request.caller());
        if (permit == null) {
            slot.release();
            return Optional.of(ApiError.retryAfter(429, "this token already has " + context.connections().perToken()
                    + " requests in flight to the Anthropic API (upstream-connections-per-token); try again when one ends",
                    ErrorExit.BUSY_RETRY));
        }
        try {
            BatchUrlRewriter batchUrls = request.isBatchMetadata()
                    ? new BatchUrlRewriter(target.base(), publicUrl.of(clientRequest), jsonProvider) : null;
            // Answers the proxy holds to change: batch URLs, and the owners of files and batches (issue 15, S8).
            BasicHttpRequest upstreamRequest = new BasicHttpRequest(request.method(), upstreamHost, request.target());
            HeldAnswer held = OwnedObjectAnswer.forRequest(request, batchUrls, owners, jsonProvider,
                    new ListingPages(context.upstream(), upstreamHost, upstreamRequest));
            HeaderPolicy.Encodings encodings = held != null
                    // The proxy never decompresses what it forwards; asking for an uncompressed answer is how it
                    // can read the results_url and the object ids of these few small bodies.
                    ? HeaderPolicy.Encodings.IDENTITY
                    : settings.usageMetering() && ResponseMeters.meters(request.method(), request.path())
                    // The meter reads usage from a decompressed copy; it can only do so for codings it knows.
                    ? HeaderPolicy.Encodings.METERABLE : HeaderPolicy.Encodings.AS_SENT;
            for (Header header : context.headers().forUpstream(clientHeaders(clientRequest),
                    settings.anthropicApiKey().orElseThrow(), encodings)) {
                upstreamRequest.addHeader(header);
            }
            new Exchange(newExchangeId(), request, context, clientRequest, clientResponse, upstreamRequest, held,
                    permit, slot, budgets.budgetFor(request)).start();
        } catch (IOException | RuntimeException e) {
            permit.release();
            slot.release();
            throw e;
        }
        return Optional.empty();
    }

    /** The decoded, normalised path of a request within the application, as logs show it. */
    public static String pathOf(HttpServletRequest request) {
        String pathInfo = request.getPathInfo();
        return pathInfo == null ? request.getServletPath() : request.getServletPath() + pathInfo;
    }

    /** How many upstream exchanges a token has in flight now. */
    public int inFlight(TokenRecord caller) {
        return context.connections().inFlight(caller);
    }

    private static List<Header> clientHeaders(HttpServletRequest clientRequest) {
        List<Header> headers = new ArrayList<>(16);
        for (Enumeration<String> names = clientRequest.getHeaderNames(); names.hasMoreElements(); ) {
            String name = names.nextElement();
            for (Enumeration<String> values = clientRequest.getHeaders(name); values.hasMoreElements(); ) {
                headers.add(new BasicHeader(name, values.nextElement()));
            }
        }
        return headers;
    }

    private static String newExchangeId() {
        return HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
    }

    /** Reports the ends still queued, then stops the reporting thread. */
    @PreDestroy
    void stop() {
        ends.shutdown();
        try {
            if (!ends.awaitTermination(Duration.ofSeconds(5).toMillis(), TimeUnit.MILLISECONDS)) {
                ends.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ends.shutdownNow();
        }
    }
}
