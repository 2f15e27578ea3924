package dev.creddy.anthropic.web;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.api.ApiResponses;
import jakarta.inject.Inject;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/** Everything outside {@code /v1/**} and {@code /health}: 404 in Anthropic's shape, never forwarded. */
@WebServlet(name = "not-found", urlPatterns = "/")
public class NotFoundServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    @Inject
    transient ApiResponses responses;

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        responses.error(response, ApiError.of(404, "not found: the proxy serves /v1/tokens, /health and the Anthropic API under /v1/"));
    }
}
