package dev.creddy.anthropic.forward;

import dev.creddy.anthropic.api.JsonCodec;
import dev.creddy.anthropic.config.Settings;
import dev.creddy.anthropic.observe.AuditLog;
import dev.creddy.anthropic.token.TokenRecord;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
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
    private UpstreamClient upstream;
    private UpstreamTarget target;
    private JsonCodec json;
    private AuditLog audit;

    /** For CDI's proxy. */
    protected Forwarder() {
    }

    @Inject
    public Forwarder(Settings settings, UpstreamClient upstream, JsonCodec json, AuditLog audit) {
        this.settings = settings;
        this.upstream = upstream;
        this.target = new UpstreamTarget(settings.upstreamUrl());
        this.json = json;
        this.audit = audit;
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
        List<Header> clientHeaders = new ArrayList<>();
        for (String name : Collections.list(clientRequest.getHeaderNames())) {
            for (String value : Collections.list(clientRequest.getHeaders(name))) {
                clientHeaders.add(new BasicHeader(name, value));
            }
        }
        for (Header header : headers.forUpstream(clientHeaders, settings.anthropicApiKey().orElseThrow())) {
            upstreamRequest.addHeader(header);
        }
        new Exchange(newExchangeId(), clientRequest, clientResponse, caller, this).start(upstreamRequest);
    }

    /** The decoded, normalised path of a request within the application, as logs show it. */
    public static String pathOf(HttpServletRequest request) {
        String pathInfo = request.getPathInfo();
        return pathInfo == null ? request.getServletPath() : request.getServletPath() + pathInfo;
    }

    private static String newExchangeId() {
        return HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
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
}
