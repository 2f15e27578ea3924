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
 * {@code GET /health}, liveness: 200 {@code {"status":"ok"}} while the application runs, 503 with the
 * reason only when it is not configured (the real key is missing). It never asks the token store or
 * the upstream: a liveness probe that failed during a Redis outage would restart every instance in a
 * loop, which cures nothing. Whether the instance can serve now is {@code /health/ready}
 * ({@link ReadinessServlet}). No I/O; never shows a setting's value. Thread-safe.
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
        Optional<String> unavailable = settings.unconfiguredReason();
        HealthStatus status = unavailable.map(reason -> new HealthStatus("unavailable", reason))
                .orElse(new HealthStatus("ok", null));
        responses.json(response, unavailable.isPresent() ? HttpServletResponse.SC_SERVICE_UNAVAILABLE
                : HttpServletResponse.SC_OK, status);
    }
}
