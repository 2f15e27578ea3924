package dev.creddy.anthropic.web;

import dev.creddy.anthropic.token.TokenRecord;
import jakarta.servlet.ServletRequest;

/**
 * Request attributes the container's access log can print, e.g. Tomcat's AccessLogValve with
 * {@code %{creddy.agent}r %{creddy.token_id}r}. Never the token itself.
 */
public final class RequestAttributes {

    /** The calling token's agent name. */
    public static final String AGENT = "creddy.agent";
    /** The calling token's id. */
    public static final String TOKEN_ID = "creddy.token_id";

    private RequestAttributes() {
    }

    static void tag(ServletRequest request, TokenRecord caller) {
        request.setAttribute(AGENT, caller.agentName());
        request.setAttribute(TOKEN_ID, caller.id().value());
    }
}
