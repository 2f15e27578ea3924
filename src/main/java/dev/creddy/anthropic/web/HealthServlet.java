package dev.creddy.anthropic.web;

import dev.creddy.anthropic.api.ApiResponses;
import dev.creddy.anthropic.config.Settings;
import dev.creddy.anthropic.token.TokenRegistry;
import jakarta.inject.Inject;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Optional;

/**
 * {@code GET /health}: 200 {@code {"status":"ok"}} when the proxy can forward, 503 with the reason
 * when it is not configured or its token store cannot be reached. Cheap: no upstream call, at most
 * one ping of the token store. Never shows a setting's value.
 */
@WebServlet(name = "health", urlPatterns = "/health", loadOnStartup = 1)
public class HealthServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    @Inject
    transient Settings settings;
    @Inject
    transient ApiResponses responses;
    @Inject
    transient TokenRegistry registry;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Optional<String> unavailable = settings.unconfiguredReason().or(registry::unavailableReason);
        HealthStatus status = unavailable.map(reason -> new HealthStatus("unavailable", reason))
                .orElse(new HealthStatus("ok", null));
        responses.json(response, unavailable.isPresent() ? HttpServletResponse.SC_SERVICE_UNAVAILABLE
                : HttpServletResponse.SC_OK, status);
    }
}
