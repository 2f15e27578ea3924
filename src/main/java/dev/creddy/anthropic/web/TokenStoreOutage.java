package dev.creddy.anthropic.web;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.api.ApiResponses;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;

/**
 * The one answer to a request the token store could not decide: 503 {@code api_error} with
 * {@code x-should-retry: true} and {@code retry-after: 1}, since the store reconnects by itself within
 * about a second (the error carries the hint, so every writer sends it). The message says nothing
 * about the store's address or the failure's details. Stateless.
 */
final class TokenStoreOutage {

    static final ApiError ERROR = ApiError.retryAfter(503, "token store unavailable", Duration.ofSeconds(1));

    private TokenStoreOutage() {
    }

    /** Answers 503 with the retry hint. */
    static void send(ApiResponses responses, HttpServletResponse response) throws IOException {
        responses.error(response, ERROR);
    }
}
