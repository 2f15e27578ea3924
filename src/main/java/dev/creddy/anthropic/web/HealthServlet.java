package dev.creddy.anthropic.web;

import dev.creddy.anthropic.api.ApiResponses;
import dev.creddy.anthropic.config.Settings;
import jakarta.inject.Inject;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Optional;

/**
 * {@code GET /health}: 200 {@code {"status":"ok"}} when the proxy can forward, 503 with the reason
 * when it is not configured. Cheap: no upstream call. Never shows a setting's value.
 */
@WebServlet(name = "health", urlPatterns = "/health", loadOnStartup = 1)
public class HealthServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    @Inject
    transient Settings settings;
    @Inject
    transient ApiResponses responses;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Optional<String> unconfigured = settings.unconfiguredReason();
        HealthStatus status = unconfigured.map(reason -> new HealthStatus("unavailable", reason))
                .orElse(new HealthStatus("ok", null));
        responses.json(response, unconfigured.isPresent() ? HttpServletResponse.SC_SERVICE_UNAVAILABLE
                : HttpServletResponse.SC_OK, status);
    }
}
