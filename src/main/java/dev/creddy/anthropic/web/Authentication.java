package dev.creddy.anthropic.web;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.token.TokenRecord;

/**
 * The outcome of authenticating a forwarded request: the caller's token, or the error to answer and
 * why, in one word for metrics and the audit trail ({@code missing}, {@code malformed},
 * {@code conflicting}, {@code unknown}).
 */
record Authentication(TokenRecord caller, ApiError error, String reason) {

    static Authentication of(TokenRecord caller) {
        return new Authentication(caller, null, null);
    }

    static Authentication refused(String reason, String message) {
        return new Authentication(null, ApiError.of(401, message), reason);
    }

    boolean isRefused() {
        return error != null;
    }
}
