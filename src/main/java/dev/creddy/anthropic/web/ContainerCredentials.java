package dev.creddy.anthropic.web;

import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The credentials an operator's tool presents to the proxy's own endpoints: a bearer key, or Basic
 * credentials of a user the container's security realm knows. Stateless.
 */
final class ContainerCredentials {

    private ContainerCredentials() {
    }

    /** The bearer credential of the {@code Authorization} header, or null. */
    static String bearer(HttpServletRequest request) {
        String authorization = request.getHeader("authorization");
        if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return authorization.substring(7).strip();
        }
        return null;
    }

    /**
     * Whether the container knows the caller in {@code role}. Nothing in the application is
     * constrained, so Basic credentials are checked against the container's realm on demand
     * ({@code HttpServletRequest.login}, with the login-config of web.xml); a server without a
     * realm simply knows nobody.
     */
    static boolean hasRole(HttpServletRequest request, String role) {
        if (request.getUserPrincipal() == null) {
            String authorization = request.getHeader("authorization");
            if (authorization == null || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
                return false;
            }
            String decoded;
            try {
                decoded = new String(Base64.getDecoder().decode(authorization.substring(6).strip()), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return false;
            }
            int colon = decoded.indexOf(':');
            if (colon < 0) {
                return false;
            }
            try {
                request.login(decoded.substring(0, colon), decoded.substring(colon + 1));
            } catch (ServletException e) {
                // Unknown user, wrong password, or no realm: not in the role.
                return false;
            }
        }
        return request.isUserInRole(role);
    }
}
