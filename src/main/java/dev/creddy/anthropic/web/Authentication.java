package dev.creddy.anthropic.web;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.token.TokenRecord;

/**
 * The outcome of authenticating a forwarded request: the caller's token, or the error to answer and
 * why, in one word for metrics and the audit trail ({@code missing}, {@code malformed},
 * {@code conflicting}, {@code unknown}, {@code store_unavailable}).
 *
 * @param storeUnavailable whether the token store could not decide (the error is then 503 and worth a retry)
 */
record Authentication(TokenRecord caller, ApiError error, String reason, boolean storeUnavailable) {

    static Authentication of(TokenRecord caller) {
        return new Authentication(caller, null, null, false);
    }

    static Authentication refused(String reason, String message) {
        return new Authentication(null, ApiError.of(401, message), reason, false);
    }

    static Authentication undecided() {
        return new Authentication(null, TokenStoreOutage.ERROR, "store_unavailable", true);
    }

    boolean isRefused() {
        return error != null;
    }
}
