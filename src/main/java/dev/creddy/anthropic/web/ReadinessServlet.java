package dev.creddy.anthropic.web;

import dev.creddy.anthropic.api.ApiResponses;
import dev.creddy.anthropic.config.Settings;
import dev.creddy.anthropic.forward.UpstreamClient;
import dev.creddy.anthropic.token.TokenRegistry;
import jakarta.inject.Inject;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code GET /health/ready}: whether the proxy can serve now, for a load balancer or an
 * orchestrator's readiness probe. Checks the configuration (the real key), the token registry's store
 * and the upstream HTTP client (running, pool not exhausted); answers 200, or 503 naming each part
 * that fails and why. Never calls Anthropic, never shows a setting's value. {@code /health} stays
 * the cheaper liveness answer.
 */
@WebServlet(name = "readiness", urlPatterns = "/health/ready", loadOnStartup = 1)
public class ReadinessServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    @Inject
    transient Settings settings;
    @Inject
    transient TokenRegistry registry;
    @Inject
    transient UpstreamClient upstream;
    @Inject
    transient ApiResponses responses;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Map<String, HealthStatus> checks = new LinkedHashMap<>();
        List<String> failing = new ArrayList<>();
        check("configuration", settings.unconfiguredReason(), checks, failing);
        check("token_registry", registry.unavailableReason(), checks, failing);
        check("upstream_client", upstream.unavailableReason(), checks, failing);
        boolean ready = failing.isEmpty();
        responses.json(response, ready ? HttpServletResponse.SC_OK : HttpServletResponse.SC_SERVICE_UNAVAILABLE,
                new Readiness(ready ? "ok" : "unavailable", ready ? null : failing, checks,
                        new Readiness.PriceTableView(settings.priceTable().version(), settings.priceTable().origin(),
                                settings.priceTable().rows().size())));
    }

    private static void check(String part, Optional<String> problem, Map<String, HealthStatus> checks, List<String> failing) {
        checks.put(part, problem.map(reason -> new HealthStatus("unavailable", reason)).orElse(new HealthStatus("ok", null)));
        problem.ifPresent(reason -> failing.add(part));
    }
}
