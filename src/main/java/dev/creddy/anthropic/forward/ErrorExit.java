package dev.creddy.anthropic.forward;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.api.RetryHint;
import dev.creddy.anthropic.config.GoDuration;
import dev.creddy.anthropic.config.Settings;
import java.time.Duration;

/**
 * The one mapping from a failed exchange to what the client is told, in Anthropic's shape. Pure: it
 * looks at the outcome, the failure's cause and the request's own facts, nothing else. Messages never
 * carry exception texts, which could name internal hosts. Immutable and thread-safe.
 */
public final class ErrorExit {

    /** How long a client is asked to wait before retrying when no upstream connection came free. */
    static final Duration BUSY_RETRY = Duration.ofSeconds(1);

    private final Duration headerTimeout;
    private final Duration idleTimeout;
    private final Duration bodyTimeout;
    private final Duration poolWait;

    public ErrorExit(Settings settings) {
        this(settings.upstreamHeaderTimeout(), settings.upstreamIdleTimeout(), settings.requestBodyTimeout(),
                settings.upstreamPoolWait());
    }

    ErrorExit(Duration headerTimeout, Duration idleTimeout, Duration bodyTimeout, Duration poolWait) {
        this.headerTimeout = headerTimeout;
        this.idleTimeout = idleTimeout;
        this.bodyTimeout = bodyTimeout;
        this.poolWait = poolWait;
    }

    /**
     * What the client is told for an exchange that ended with {@code outcome}.
     *
     * @param cause the failure, when there was one; a {@link RequestRefusedException} names its own error
     * @param request the request, for the limits it was held to
     */
    public ApiError errorFor(Outcome outcome, Throwable cause, ForwardedRequest request) {
        if (cause instanceof RequestRefusedException refused) {
            return refused.error();
        }
        return switch (outcome) {
            case UPSTREAM_UNREACHABLE -> ApiError.of(502, "the proxy could not connect to the Anthropic API");
            case UPSTREAM_TIMEOUT -> ApiError.of(504, "the Anthropic API did not answer within " + GoDuration.format(headerTimeout));
            case UPSTREAM_IDLE -> ApiError.of(504, "the Anthropic API sent nothing for " + GoDuration.format(idleTimeout));
            case UPSTREAM_FAILED -> ApiError.of(502, "the connection to the Anthropic API failed before the response was complete");
            case UPSTREAM_HEAD_TOO_LARGE -> ApiError.of(502,
                    "the Anthropic API's response headers exceeded the proxy's limits (count or line length)");
            case UPSTREAM_BUSY -> ApiError.retryAfter(503, "no connection to the Anthropic API came free within "
                    + GoDuration.format(poolWait) + "; try again shortly", BUSY_RETRY);
            case REQUEST_TOO_LARGE -> BodyLimits.tooLarge(request.bodyLimit());
            case REQUEST_BODY_TIMEOUT -> ApiError.of(408, "the request body did not arrive within "
                    + GoDuration.format(bodyTimeout));
            case REQUEST_BODY_MALFORMED -> ApiError.of(400, "the request body's chunked framing is malformed");
            case MODEL_REFUSED -> ApiError.of(403, "the model is not allowed for this token");
            case FILE_REFUSED -> ApiError.of(404, "not found: the body names a file this agent did not upload through the proxy");
            case BUDGET_REFUSED -> ApiError.of(429, "the token's dollar budget is spent");
            case CLIENT_DISCONNECTED -> ApiError.of(400, "the client went away before the exchange was complete");
            case REVOKED -> ApiError.of(401, "the token was revoked while this request was in flight");
            case BUDGET_EXCEEDED -> new ApiError(429, "rate_limit_error", "the token's budget ran out while this response "
                    + "streamed (budget-enforcement=strict)", RetryHint.never());
            case STOPPED -> ApiError.of(503, "the proxy stopped before this response was complete (its shutdown-grace "
                    + "ran out); send the request again");
            case PROXY_FAILED, COMPLETED -> ApiError.of(500, "the proxy failed to forward the request");
        };
    }
}
