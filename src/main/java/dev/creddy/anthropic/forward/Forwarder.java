package dev.creddy.anthropic.forward;

import dev.creddy.anthropic.api.JsonCodec;
import dev.creddy.anthropic.config.Settings;
import dev.creddy.anthropic.observe.AuditLog;
import dev.creddy.anthropic.token.TokenRecord;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.spi.JsonProvider;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
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

    /** For CDI's proxy. */
    protected Forwarder() {
    }

    @Inject
    public Forwarder(Settings settings, UpstreamClient upstream, JsonCodec json, AuditLog audit, ExchangeObserver observer) {
        this.settings = settings;
        this.upstream = upstream;
        this.target = new UpstreamTarget(settings.upstreamUrl());
        this.json = json;
        this.audit = audit;
        this.observer = observer;
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
     * Starts forwarding: goes async and returns at once. The caller has authenticated the request
     * and checked the target; from here every outcome is the exchange's.
     */
    public void forward(HttpServletRequest clientRequest, HttpServletResponse clientResponse, TokenRecord caller,
            String requestTarget) throws IOException {
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
        }
        new Exchange(newExchangeId(), clientRequest, clientResponse, caller, this).start(upstreamRequest, batchUrls);
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
