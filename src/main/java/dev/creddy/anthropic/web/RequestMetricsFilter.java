package dev.creddy.anthropic.web;

import dev.creddy.anthropic.forward.Forwarder;
import dev.creddy.anthropic.observe.ProxyMetrics;
import jakarta.inject.Inject;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * Counts the API requests the proxy answers itself (token endpoints, refusals) by endpoint class,
 * method, status and agent. A request that went asynchronous is a forwarded exchange, which counts
 * itself when it ends ({@code ExchangeMetrics}), so none is counted twice. Thread-safe: it keeps no state.
 */
@WebFilter(filterName = "request-metrics", urlPatterns = "/v1/*", asyncSupported = true)
public class RequestMetricsFilter extends HttpFilter {

    private static final long serialVersionUID = 1L;

    @Inject
    transient ProxyMetrics metrics;

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        boolean failed = true;
        try {
            chain.doFilter(request, response);
            failed = false;
        } finally {
            if (!request.isAsyncStarted()) {
                Object agent = request.getAttribute(RequestAttributes.AGENT);
                // An exception on its way out becomes the container's 500 after this filter.
                int status = failed && !response.isCommitted() ? HttpServletResponse.SC_INTERNAL_SERVER_ERROR : response.getStatus();
                metrics.requestCompleted(Forwarder.pathOf(request), request.getMethod(), status,
                        agent == null ? null : agent.toString());
            }
        }
    }
}
