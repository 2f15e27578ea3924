package dev.creddy.anthropic.forward;

import dev.creddy.anthropic.api.JsonCodec;
import dev.creddy.anthropic.config.Settings;
import dev.creddy.anthropic.observe.AuditLog;
import dev.creddy.anthropic.token.TokenRecord;
import dev.creddy.anthropic.usage.AcceptEncoding;
import dev.creddy.anthropic.usage.Admission;
import dev.creddy.anthropic.usage.ResponseMeters;
import dev.creddy.anthropic.usage.Usage;
import dev.creddy.anthropic.usage.UsageLedger;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.spi.JsonProvider;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.message.BasicHeader;
import org.apache.hc.core5.http.message.BasicHttpRequest;

/**
 * Forwards authenticated requests to the upstream: chooses the target, copies the headers through
 * the {@link HeaderPolicy} and starts an {@link Exchange}. The collaborators every exchange shares
 * live here. Thread-safe.
 */
@ApplicationScoped
public class Forwarder {

    /** Where an exchange dispatches to break a committed response's connection (Exchange.abortConnection). */
    public static final String ABORT_PATH = "/_creddy/abort";
    /** The request attribute that tells the abort target the dispatch is an exchange's. */
    public static final String ABORT_ATTRIBUTE = "creddy.abort";

    private static final Logger LOG = Logger.getLogger(Forwarder.class.getName());

    private final HeaderPolicy headers = new HeaderPolicy();
    private Settings settings;
    private BodyLimits bodyLimits;
    private PublicUrl publicUrl;
    private JsonProvider jsonProvider;
    private UpstreamClient upstream;
    private UpstreamTarget target;
    private JsonCodec json;
    private AuditLog audit;
    private ExchangeObserver observer;
    private UsageLedger ledger;

    /** For CDI's proxy. */
    protected Forwarder() {
    }

    @Inject
    public Forwarder(Settings settings, UpstreamClient upstream, JsonCodec json, AuditLog audit, ExchangeObserver observer,
            UsageLedger ledger) {
        this.settings = settings;
        this.upstream = upstream;
        this.target = new UpstreamTarget(settings.upstreamUrl());
        this.json = json;
        this.audit = audit;
        this.observer = observer;
        this.ledger = ledger;
        this.bodyLimits = new BodyLimits(settings);
        this.publicUrl = new PublicUrl(settings.publicUrl(), settings.trustForwardedHeaders());
        // Looked up here, where the application's class loader is current; reactor threads may have another.
        this.jsonProvider = JsonProvider.provider();
    }

    /**
     * The upstream request-target for a client request, or empty when its path may not be forwarded.
     */
    public Optional<String> requestTarget(HttpServletRequest clientRequest) {
        return target.requestTarget(pathOf(clientRequest), clientRequest.getQueryString());
    }

    /**
     * Starts forwarding: goes async and returns at once. The caller has authenticated the request,
     * checked the target and admitted it under the token's limits; from here every outcome is the exchange's.
     *
     * @param admission how the token stood against its counted limits, or null when it has none
     */
    public void forward(HttpServletRequest clientRequest, HttpServletResponse clientResponse, TokenRecord caller,
            String requestTarget, Admission admission) throws IOException {
        BasicHttpRequest upstreamRequest = new BasicHttpRequest(clientRequest.getMethod(),
                HttpHost.create(target.base()), requestTarget);
        BatchUrlRewriter batchUrls = BatchUrlRewriter.isBatchMetadata(clientRequest.getMethod(), pathOf(clientRequest))
                ? new BatchUrlRewriter(target.base(), publicUrl.of(clientRequest), jsonProvider) : null;
        List<Header> clientHeaders = new ArrayList<>();
        for (String name : Collections.list(clientRequest.getHeaderNames())) {
            for (String value : Collections.list(clientRequest.getHeaders(name))) {
                clientHeaders.add(new BasicHeader(name, value));
            }
        }
        for (Header header : headers.forUpstream(clientHeaders, settings.anthropicApiKey().orElseThrow())) {
            upstreamRequest.addHeader(header);
        }
        if (batchUrls != null) {
            // The proxy never decompresses what it forwards; asking for an uncompressed answer is how it
            // can read the results_url of these few small bodies. Identity is acceptable to every client.
            upstreamRequest.setHeader("Accept-Encoding", "identity");
        } else if (settings.usageMetering() && ResponseMeters.meters(clientRequest.getMethod(), pathOf(clientRequest))) {
            // The meter reads usage from a decompressed copy; it can only do so for codings it knows.
            Header acceptEncoding = upstreamRequest.getFirstHeader("Accept-Encoding");
            if (acceptEncoding != null) {
                upstreamRequest.setHeader("Accept-Encoding", AcceptEncoding.meterable(acceptEncoding.getValue()));
            }
        }
        new Exchange(newExchangeId(), clientRequest, clientResponse, caller, admission, this).start(upstreamRequest, batchUrls);
    }

    /** The largest body forwarded for a client request (see {@link BodyLimits}). */
    public long bodyLimit(HttpServletRequest clientRequest) {
        return bodyLimits.limitFor(clientRequest.getMethod(), pathOf(clientRequest));
    }

    /** The decoded, normalised path of a request within the application, as logs show it. */
    public static String pathOf(HttpServletRequest request) {
        String pathInfo = request.getPathInfo();
        return pathInfo == null ? request.getServletPath() : request.getServletPath() + pathInfo;
    }

    /** Adds a finished exchange's usage to the ledger; never throws, never waits for a remote store. */
    void recordUsage(TokenRecord caller, Usage used) {
        try {
            ledger.record(caller, used, Instant.now());
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "usage of an exchange could not be recorded: {0}", e.getClass().getName());
        }
    }

    private static String newExchangeId() {
        return HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
    }

    BodyLimits bodyLimits() {
        return bodyLimits;
    }

    HeaderPolicy headers() {
        return headers;
    }

    UpstreamClient upstream() {
        return upstream;
    }

    Duration headerTimeout() {
        return settings.upstreamHeaderTimeout();
    }

    Settings settings() {
        return settings;
    }

    JsonCodec json() {
        return json;
    }

    AuditLog audit() {
        return audit;
    }

    ExchangeObserver observer() {
        return observer;
    }
}
