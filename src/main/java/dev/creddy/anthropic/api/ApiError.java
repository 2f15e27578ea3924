package dev.creddy.anthropic.api;

import java.time.Duration;
import java.util.Objects;

/**
 * An error the proxy itself answers with, in Anthropic's vocabulary: the HTTP status, the
 * {@code error.type} that official SDKs map to their exception classes, and whether a retry can
 * help. Immutable.
 *
 * @param status the HTTP status
 * @param type Anthropic's error type for that status
 * @param message what went wrong and, where the caller can act, what to do; never a secret
 * @param retry whether (and when) the client should try again
 */
public record ApiError(int status, String type, String message, RetryHint retry) {

    public ApiError {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(retry, "retry");
    }

    /** An error with the retry hint the proxy gives for {@code status} (see {@link RetryHint#forStatus}). */
    public ApiError(int status, String type, String message) {
        this(status, type, message, RetryHint.forStatus(status));
    }

    /** An error with the type Anthropic uses for {@code status}, and the proxy's retry hint for it. */
    public static ApiError of(int status, String message) {
        return new ApiError(status, typeFor(status), message);
    }

    /** An error that passes: the client is told to try again after {@code wait} (e.g. 429, or 503 for an outage). */
    public static ApiError retryAfter(int status, String message, Duration wait) {
        return new ApiError(status, typeFor(status), message, RetryHint.after(wait));
    }

    /** Anthropic's {@code error.type} for an HTTP status. */
    public static String typeFor(int status) {
        return switch (status) {
            case 400 -> "invalid_request_error";
            case 401 -> "authentication_error";
            case 402 -> "billing_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 409 -> "conflict_error";
            case 413 -> "request_too_large";
            case 429 -> "rate_limit_error";
            case 529 -> "overloaded_error";
            default -> status >= 500 ? "api_error" : "invalid_request_error";
        };
    }
}
