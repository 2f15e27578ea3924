package dev.creddy.anthropic.web.gateway;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.api.ApiResponses;
import dev.creddy.anthropic.config.Settings;
import dev.creddy.anthropic.forward.PublicUrl;
import dev.creddy.anthropic.signin.DeviceSignIn;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * What the gateway sign-in's endpoints share: the sign-in service, the proxy's public base URL (what
 * Claude Code was given as the gateway's address), and the answer while {@code device-sign-in} is off.
 * Each subclass is one endpoint; none keeps state of its own.
 */
abstract class GatewayServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    @Inject
    transient DeviceSignIn signIn;
    @Inject
    transient Settings settings;
    @Inject
    transient ApiResponses responses;

    /** The base URL Claude Code resolves every path against: scheme, host, port and context path. */
    String base(HttpServletRequest request) {
        return new PublicUrl(settings.publicUrl(), settings.trustForwardedHeaders()).of(request);
    }

    /**
     * Answers 404, as for any path the proxy does not serve (Anthropic's error shape), and returns false
     * when the sign-in is off; RFC 8414 clients then know there is none.
     */
    boolean enabled(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (signIn.settings().isPresent()) {
            return true;
        }
        responses.error(response, ApiError.of(404, "sign-in is not enabled on this proxy (device-sign-in is off)"));
        return false;
    }
}
