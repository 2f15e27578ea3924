package dev.creddy.anthropic.forward;

import dev.creddy.anthropic.api.ApiError;

/**
 * A request the proxy refuses on reading its body (a model outside the token's allowlist, or a body it
 * cannot read one from). Carries the error the client gets; its texts are the proxy's own and name at
 * most the client's model, never a secret.
 */
final class RequestRefusedException extends Exception {

    private static final long serialVersionUID = 1L;

    private final transient ApiError error;

    RequestRefusedException(ApiError error) {
        super(error.message(), null, false, false);
        this.error = error;
    }

    ApiError error() {
        return error;
    }
}
