package dev.creddy.anthropic.web.gateway;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * How the proxy's OAuth endpoints answer: JSON, never cached (RFC 6749 §5.1: a token response carries
 * {@code Cache-Control: no-store}), errors as {@code {"error": …, "error_description": …}} (§5.2, RFC
 * 8628 §3.5) rather than Anthropic's envelope, because OAuth clients read that shape. A description
 * never quotes a token or code. Stateless.
 */
public final class OAuthResponses {

    private OAuthResponses() {
    }

    /** Writes {@code body} with {@code status}. */
    public static void json(HttpServletResponse response, int status, JsonObject body) throws IOException {
        byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-store");
        response.setHeader("Pragma", "no-cache");
        response.setContentLength(bytes.length);
        response.getOutputStream().write(bytes);
    }

    /** Writes an OAuth error: {@code code} from the RFC's list, {@code description} for a person. */
    public static void error(HttpServletResponse response, int status, String code, String description) throws IOException {
        json(response, status, Json.createObjectBuilder().add("error", code).add("error_description", description).build());
    }
}
