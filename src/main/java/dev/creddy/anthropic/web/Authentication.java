package dev.creddy.anthropic.web;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.token.TokenRecord;

/** The outcome of authenticating a forwarded request: the caller's token, or the error to answer. */
record Authentication(TokenRecord caller, ApiError error) {

    static Authentication of(TokenRecord caller) {
        return new Authentication(caller, null);
    }

    static Authentication refused(String message) {
        return new Authentication(null, ApiError.of(401, message));
    }

    boolean isRefused() {
        return error != null;
    }
}
