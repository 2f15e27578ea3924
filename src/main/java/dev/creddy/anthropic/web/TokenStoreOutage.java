package dev.creddy.anthropic.web;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.api.ApiResponses;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * The one answer to a request the token store could not decide: 503 {@code api_error}, with a
 * {@code retry-after} hint, since the store reconnects by itself within about a second. The message
 * says nothing about the store's address or the failure's details. Stateless.
 */
final class TokenStoreOutage {

    static final ApiError ERROR = ApiError.of(503, "token store unavailable");
    static final String RETRY_AFTER_SECONDS = "1";

    private TokenStoreOutage() {
    }

    /** Adds the retry hint; for callers that write {@link #ERROR} themselves. */
    static void hintRetry(HttpServletResponse response) {
        response.setHeader("Retry-After", RETRY_AFTER_SECONDS);
    }

    /** Answers 503 with the retry hint. */
    static void send(ApiResponses responses, HttpServletResponse response) throws IOException {
        hintRetry(response);
        responses.error(response, ERROR);
    }
}
