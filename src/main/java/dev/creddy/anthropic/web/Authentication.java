package dev.creddy.anthropic.web;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.token.TokenRecord;

/**
 * The outcome of authenticating a forwarded request: the caller's token, or the error to answer.
 *
 * @param storeUnavailable whether the token store could not decide (the error is then 503 and worth a retry)
 */
record Authentication(TokenRecord caller, ApiError error, boolean storeUnavailable) {

    static Authentication of(TokenRecord caller) {
        return new Authentication(caller, null, false);
    }

    static Authentication refused(String message) {
        return new Authentication(null, ApiError.of(401, message), false);
    }

    static Authentication undecided() {
        return new Authentication(null, TokenStoreOutage.ERROR, true);
    }

    boolean isRefused() {
        return error != null;
    }
}
