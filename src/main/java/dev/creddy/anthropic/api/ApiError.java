package dev.creddy.anthropic.api;

import java.util.Objects;

/**
 * An error the proxy itself answers with, in Anthropic's vocabulary: the HTTP status and the
 * {@code error.type} that official SDKs map to their exception classes. Immutable.
 *
 * @param status the HTTP status
 * @param type Anthropic's error type for that status
 * @param message what went wrong and, where the caller can act, what to do; never a secret
 */
public record ApiError(int status, String type, String message) {

    public ApiError {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(message, "message");
    }

    /** An error with the type Anthropic uses for {@code status}. */
    public static ApiError of(int status, String message) {
        return new ApiError(status, typeFor(status), message);
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
