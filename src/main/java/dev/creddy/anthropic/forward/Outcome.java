package dev.creddy.anthropic.forward;

import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;
import org.apache.hc.client5.http.ConnectTimeoutException;
import org.apache.hc.client5.http.HttpHostConnectException;
import org.apache.hc.core5.http.MessageConstraintException;

/**
 * How a forwarded exchange ended: the one vocabulary the audit line ({@code outcome}), the metrics
 * ({@code creddy.exchange.duration}'s {@code outcome} tag) and the tests share, through
 * {@link #wireName()}. What the client is told for each failure is {@link ErrorExit}'s. Immutable.
 */
public enum Outcome {
    /** The client got the whole response, whatever its status. */
    COMPLETED("completed"),
    /** The upstream could not be reached at all. */
    UPSTREAM_UNREACHABLE("upstream_unreachable"),
    /** The upstream sent no response headers before the header deadline. */
    UPSTREAM_TIMEOUT("upstream_timeout"),
    /** The upstream went silent for longer than the idle timeout. */
    UPSTREAM_IDLE("upstream_idle"),
    /** The upstream connection broke or the upstream misbehaved. */
    UPSTREAM_FAILED("upstream_failed"),
    /** The upstream's response head broke the proxy's limits (too many headers, a header line too long). */
    UPSTREAM_HEAD_TOO_LARGE("upstream_head_too_large"),
    /** No upstream connection came free within {@code upstream-pool-wait}. */
    UPSTREAM_BUSY("upstream_busy"),
    /** The client's body grew past the endpoint's limit. */
    REQUEST_TOO_LARGE("request_too_large"),
    /** The client's body took longer than {@code request-body-timeout} to arrive. */
    REQUEST_BODY_TIMEOUT("request_body_timeout"),
    /** The client's body was not valid HTTP framing (a malformed chunk). */
    REQUEST_BODY_MALFORMED("request_body_malformed"),
    /** The body names a model the token may not call, or none the proxy can read. */
    MODEL_REFUSED("model_refused"),
    /** The body names a file (a {@code file_id}) that is not its agent's, or the owner store could not be asked. */
    FILE_REFUSED("file_refused"),
    /** A dollar budget (the token's {@code max_cost_usd}, its agent's rolling budget) had nothing left to reserve. */
    BUDGET_REFUSED("budget_refused"),
    /** The client went away; nobody is left to tell. */
    CLIENT_DISCONNECTED("client_disconnected"),
    /** The proxy itself failed; a bug, never the client's fault. */
    PROXY_FAILED("proxy_failed"),
    /** The token was revoked while its exchange ran; the proxy ended it. */
    REVOKED("revoked"),
    /** The response took its token over its budget under {@code budget-enforcement=strict}; the proxy ended it. */
    BUDGET_EXCEEDED("budget_exceeded"),
    /** The proxy stopped (a shutdown or an undeployment) and {@code shutdown-grace} ran out before the exchange ended. */
    STOPPED("stopped");

    private final String wireName;

    Outcome(String wireName) {
        this.wireName = wireName;
    }

    /** The word the audit line and the metrics use. */
    public String wireName() {
        return wireName;
    }

    /** Classifies a failure reported by the HTTP client. */
    public static Outcome ofUpstream(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof ClientGoneException) {
                return CLIENT_DISCONNECTED;
            }
            if (t instanceof MessageConstraintException) {
                return UPSTREAM_HEAD_TOO_LARGE;
            }
            if (t instanceof ConnectException || t instanceof HttpHostConnectException || t instanceof ConnectTimeoutException
                    || t instanceof UnknownHostException || t instanceof NoRouteToHostException || t instanceof SSLException) {
                return UPSTREAM_UNREACHABLE;
            }
            if (t instanceof SocketTimeoutException) {
                // HttpClient's response timeout is an inactivity timeout: the upstream went silent.
                return UPSTREAM_IDLE;
            }
            if (t instanceof TimeoutException) {
                // The connection pool's lease deadline (HttpCore's DeadlineTimeoutException): no connection came free.
                return UPSTREAM_BUSY;
            }
            if (t instanceof IOException) {
                return UPSTREAM_FAILED;
            }
        }
        return UPSTREAM_FAILED;
    }
}
