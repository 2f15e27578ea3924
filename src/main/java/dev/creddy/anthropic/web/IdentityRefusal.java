package dev.creddy.anthropic.web;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.identity.AgentTokenRefusedException;

/**
 * The answer to an identity token the proxy will not accept: 401 {@code authentication_error} when it
 * proves nothing, 403 {@code permission_error} when it proves an identity without the right (both with
 * {@code x-should-retry: false}: the same token fails the same way), 503 {@code api_error} with
 * {@code retry-after} when the issuer's keys are out of reach. Stateless.
 */
final class IdentityRefusal {

    private IdentityRefusal() {
    }

    static ApiError error(AgentTokenRefusedException refusal) {
        return switch (refusal.kind()) {
            case UNAUTHENTICATED -> ApiError.of(401, refusal.getMessage());
            case FORBIDDEN -> ApiError.of(403, refusal.getMessage());
            case UNAVAILABLE -> ApiError.retryAfter(503, refusal.getMessage(), AgentTokenRefusedException.RETRY_AFTER);
        };
    }

    /** One word for metrics and the audit trail. */
    static String reason(AgentTokenRefusedException refusal) {
        return switch (refusal.kind()) {
            case UNAUTHENTICATED -> "identity_invalid";
            case FORBIDDEN -> "identity_forbidden";
            case UNAVAILABLE -> "issuer_unavailable";
        };
    }
}
