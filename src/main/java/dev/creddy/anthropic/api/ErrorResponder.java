package dev.creddy.anthropic.api;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * Writes an {@link ApiError} as a complete JSON response. For responses that are not committed and
 * not in non-blocking mode: requests refused before forwarding, and exchanges that failed before the
 * upstream answered. Thread-safe.
 */
@ApplicationScoped
public class ErrorResponder {

    private JsonCodec json;

    /** For CDI's proxy. */
    protected ErrorResponder() {
    }

    @Inject
    public ErrorResponder(JsonCodec json) {
        this.json = json;
    }

    /** Sends {@code error}; the body is small, so the write fits the container's buffer. */
    public void send(HttpServletResponse response, ApiError error) throws IOException {
        byte[] body = json.errorJson(error);
        response.setStatus(error.status());
        response.setContentType("application/json");
        response.setHeader("Cache-Control", "no-store");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }
}
