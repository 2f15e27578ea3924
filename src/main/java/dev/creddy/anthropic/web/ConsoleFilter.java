package dev.creddy.anthropic.web;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.api.ApiResponses;
import jakarta.inject.Inject;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * In front of everything under {@code /console}: with {@code console=off} it is all a 404, as if it
 * did not exist; otherwise every response carries the console's security headers. The policy allows
 * scripts, styles and calls from this origin only (no inline script, no other host: ops networks are
 * often air-gapped, and a page that holds a session should load nothing it does not ship), no framing,
 * no referrer, and no caching of anything (the pages show tokens and usage).
 * Stateless and thread-safe.
 */
@WebFilter(filterName = "console", urlPatterns = {"/console", "/console/*"})
public class ConsoleFilter extends HttpFilter {

    private static final long serialVersionUID = 1L;

    /** The console's Content-Security-Policy. */
    static final String POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            + "frame-ancestors 'none'";

    @Inject
    transient ConsoleSessions sessions;
    @Inject
    transient ApiResponses responses;

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        response.setHeader("Content-Security-Policy", POLICY);
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.setHeader("Referrer-Policy", "no-referrer");
        response.setHeader("X-Frame-Options", "DENY");
        response.setHeader("Cache-Control", "no-store");
        if (!sessions.enabled()) {
            responses.error(response, ApiError.of(404, "not found: the operator console is off (console=off)"));
            return;
        }
        chain.doFilter(request, response);
    }
}
