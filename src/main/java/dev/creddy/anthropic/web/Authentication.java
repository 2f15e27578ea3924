package dev.creddy.anthropic.web;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.token.TokenRecord;

/**
 * The outcome of authenticating a forwarded request: the caller's token, or the error to answer and
 * why, in one word for metrics and the audit trail ({@code missing}, {@code malformed},
 * {@code conflicting}, {@code unknown}, {@code store_unavailable}, {@code ip_restricted},
 * {@code identity_invalid}, {@code identity_forbidden}, {@code issuer_unavailable}). A store that
 * cannot decide answers 503 with its own retry hint (see {@link TokenStoreOutage}).
 *
 * @param direct whether the caller presented an identity token itself (direct use), not a {@code crd_} token
 */
record Authentication(TokenRecord caller, ApiError error, String reason, boolean direct) {

    static Authentication of(TokenRecord caller) {
        return new Authentication(caller, null, null, false);
    }

    /** A caller who presented its identity token in place of a {@code crd_} token. */
    static Authentication direct(TokenRecord caller) {
        return new Authentication(caller, null, null, true);
    }

    static Authentication refused(String reason, String message) {
        return refused(reason, ApiError.of(401, message));
    }

    static Authentication refused(String reason, ApiError error) {
        return new Authentication(null, error, reason, false);
    }

    static Authentication undecided() {
        return new Authentication(null, TokenStoreOutage.ERROR, "store_unavailable", false);
    }

    boolean isRefused() {
        return error != null;
    }
}
