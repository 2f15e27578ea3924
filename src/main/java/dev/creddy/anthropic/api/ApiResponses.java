package dev.creddy.anthropic.api;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * Writes the proxy's own complete JSON responses: Anthropic errors and the token endpoints' bodies.
 * For responses that are not committed and not in non-blocking mode (everything but a forwarded
 * exchange, whose pump writes its own). None of them may be cached: some carry a secret.
 * Thread-safe.
 */
@ApplicationScoped
public class ApiResponses {

    private JsonCodec json;

    /** For CDI's proxy. */
    protected ApiResponses() {
    }

    @Inject
    public ApiResponses(JsonCodec json) {
        this.json = json;
    }

    /** Sends {@code error} in Anthropic's shape, with its retry hint. */
    public void error(HttpServletResponse response, ApiError error) throws IOException {
        error.retry().headers().forEach(response::setHeader);
        write(response, error.status(), json.errorJson(error));
    }

    /** Sends {@code body} as JSON with {@code status}. */
    public void json(HttpServletResponse response, int status, Object body) throws IOException {
        write(response, status, json.toJsonBytes(body));
    }

    /** Sends an empty {@code 204 No Content}. */
    public void noContent(HttpServletResponse response) {
        response.setStatus(HttpServletResponse.SC_NO_CONTENT);
        response.setHeader("Cache-Control", "no-store");
    }

    private static void write(HttpServletResponse response, int status, byte[] body) throws IOException {
        response.setStatus(status);
        response.setContentType("application/json");
        response.setHeader("Cache-Control", "no-store");
        response.setContentLength(body.length);
        // Small bodies: the write fits the container's buffer.
        response.getOutputStream().write(body);
    }
}
