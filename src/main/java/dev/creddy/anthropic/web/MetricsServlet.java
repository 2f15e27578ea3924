package dev.creddy.anthropic.web;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.api.ApiResponses;
import dev.creddy.anthropic.observe.ProxyMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import jakarta.inject.Inject;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Optional;

/**
 * {@code GET /metrics}: the proxy's metrics in Prometheus' text format (version 0.0.4), for a
 * scraper with the metrics key, the issuer key or the role {@value MetricsAuthorization#ROLE}.
 * 404 when metrics are off.
 */
@WebServlet(name = "metrics", urlPatterns = "/metrics", loadOnStartup = 1)
public class MetricsServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    @Inject
    transient ProxyMetrics metrics;
    @Inject
    transient MetricsAuthorization authorization;
    @Inject
    transient ApiResponses responses;

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Optional<PrometheusMeterRegistry> prometheus = metrics.prometheus();
        if (prometheus.isEmpty()) {
            responses.error(response, ApiError.of(404, "not found: metrics are off (metrics=off)"));
            return;
        }
        if (!request.getMethod().equals("GET")) {
            response.setHeader("Allow", "GET");
            responses.error(response, ApiError.of(405, "method " + request.getMethod() + " is not allowed on /metrics: use GET"));
            return;
        }
        Optional<ApiError> refused = authorization.check(request);
        if (refused.isPresent()) {
            if (refused.get().status() == HttpServletResponse.SC_UNAUTHORIZED) {
                // Tells a scraper or a browser which schemes it may answer with.
                response.setHeader("WWW-Authenticate", "Bearer realm=\"creddy-metrics\"");
            }
            responses.error(response, refused.get());
            return;
        }
        response.setStatus(HttpServletResponse.SC_OK);
        response.setContentType(PrometheusTextFormatWriter.CONTENT_TYPE);
        response.setHeader("Cache-Control", "no-store");
        prometheus.get().scrape(response.getOutputStream(), PrometheusTextFormatWriter.CONTENT_TYPE);
    }
}
