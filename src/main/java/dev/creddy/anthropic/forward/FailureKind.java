package dev.creddy.anthropic.forward;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.config.GoDuration;
import dev.creddy.anthropic.config.Settings;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import javax.net.ssl.SSLException;
import org.apache.hc.client5.http.ConnectTimeoutException;
import org.apache.hc.client5.http.HttpHostConnectException;
import org.apache.hc.core5.http.ConnectionClosedException;

/**
 * Why an exchange failed, and what the client is told: the one pure mapping from failures to
 * Anthropic errors. Messages never carry exception texts, which could name internal hosts.
 */
public enum FailureKind {
    /** The upstream could not be reached at all. */
    UPSTREAM_UNREACHABLE,
    /** The upstream sent no response headers before the header deadline. */
    HEADER_TIMEOUT,
    /** The upstream went silent for longer than the idle timeout. */
    UPSTREAM_IDLE,
    /** The upstream connection broke or the upstream misbehaved. */
    UPSTREAM_BROKE,
    /** The client's body grew past the configured limit. */
    REQUEST_TOO_LARGE,
    /**
     * The body names a model the token may not call, or none the proxy can read; the cause is a
     * {@link RequestRefusedException} with the client's error.
     */
    MODEL_REFUSED,
    /** The client went away or sent a broken body; nobody is left to tell. */
    CLIENT_GONE,
    /** The proxy itself failed; a bug, never the client's fault. */
    INTERNAL;

    /** Classifies a failure reported by the HTTP client. */
    public static FailureKind ofUpstream(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof ClientGoneException) {
                return CLIENT_GONE;
            }
            if (t instanceof ConnectException || t instanceof HttpHostConnectException || t instanceof ConnectTimeoutException
                    || t instanceof UnknownHostException || t instanceof NoRouteToHostException || t instanceof SSLException) {
                return UPSTREAM_UNREACHABLE;
            }
            if (t instanceof SocketTimeoutException) {
                // HttpClient's response timeout is an inactivity timeout: the upstream went silent.
                return UPSTREAM_IDLE;
            }
            if (t instanceof ConnectionClosedException || t instanceof IOException) {
                return UPSTREAM_BROKE;
            }
        }
        return UPSTREAM_BROKE;
    }

    /** What the client is told, in Anthropic's shape. */
    public ApiError toApiError(Settings settings) {
        return switch (this) {
            case UPSTREAM_UNREACHABLE -> ApiError.of(502, "the proxy could not connect to the Anthropic API");
            case HEADER_TIMEOUT -> ApiError.of(504, "the Anthropic API did not answer within "
                    + GoDuration.format(settings.upstreamHeaderTimeout()));
            case UPSTREAM_IDLE -> ApiError.of(504, "the Anthropic API sent nothing for "
                    + GoDuration.format(settings.upstreamIdleTimeout()));
            case UPSTREAM_BROKE -> ApiError.of(502, "the connection to the Anthropic API failed before the response was complete");
            case REQUEST_TOO_LARGE -> BodyLimits.tooLarge(settings.maxRequestBody());
            case MODEL_REFUSED -> ApiError.of(403, "the model is not allowed for this token");
            case CLIENT_GONE -> ApiError.of(400, "the client went away before the exchange was complete");
            case INTERNAL -> ApiError.of(500, "the proxy failed to forward the request");
        };
    }

    /** The word the audit trail uses. */
    public String outcome() {
        return switch (this) {
            case UPSTREAM_UNREACHABLE -> "upstream_unreachable";
            case HEADER_TIMEOUT -> "upstream_timeout";
            case UPSTREAM_IDLE -> "upstream_idle";
            case UPSTREAM_BROKE -> "upstream_failed";
            case REQUEST_TOO_LARGE -> "request_too_large";
            case MODEL_REFUSED -> "model_refused";
            case CLIENT_GONE -> "client_disconnected";
            case INTERNAL -> "proxy_failed";
        };
    }
}
