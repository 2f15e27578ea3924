package dev.creddy.anthropic.web;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.token.TokenRecord;

/**
 * The outcome of authenticating a forwarded request: the caller's token, or the error to answer and
 * why, in one word for metrics and the audit trail ({@code missing}, {@code malformed},
 * {@code conflicting}, {@code unknown}, {@code store_unavailable}). A store that cannot decide answers
 * 503 with its own retry hint (see {@link TokenStoreOutage}).
 */
record Authentication(TokenRecord caller, ApiError error, String reason) {

    static Authentication of(TokenRecord caller) {
        return new Authentication(caller, null, null);
    }

    static Authentication refused(String reason, String message) {
        return new Authentication(null, ApiError.of(401, message), reason);
    }

    static Authentication undecided() {
        return new Authentication(null, TokenStoreOutage.ERROR, "store_unavailable");
    }

    boolean isRefused() {
        return error != null;
    }
}
