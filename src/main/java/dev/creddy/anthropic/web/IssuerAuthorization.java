package dev.creddy.anthropic.web;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.config.Settings;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;

/**
 * Decides who may issue, list and revoke tokens: a caller the container authenticated in the role
 * {@value #ROLE} (an app server's security realm), a caller presenting the issuer key as a bearer
 * credential (compared in constant time), or anyone when no issuer key is set and open issuance is
 * switched on. Thread-safe.
 */
@ApplicationScoped
public class IssuerAuthorization {

    /** The role, declared in web.xml, that container-managed security can grant. */
    public static final String ROLE = "creddy-issuer";

    private Settings settings;

    /** For CDI's proxy. */
    protected IssuerAuthorization() {
    }

    @Inject
    public IssuerAuthorization(Settings settings) {
        this.settings = settings;
    }

    /** Empty when the request may manage tokens, else the error to answer. */
    Optional<ApiError> check(HttpServletRequest request) {
        if (isIssuerByRole(request)) {
            return Optional.empty();
        }
        if (settings.issuerKey().isEmpty()) {
            return settings.openIssuance() ? Optional.empty() : Optional.of(ApiError.of(403,
                    "token management is disabled: no issuer key is configured (set issuer-key, or open-issuance=true "
                            + "for local experiments)"));
        }
        String authorization = request.getHeader("authorization");
        String presented = null;
        if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            presented = authorization.substring(7).strip();
        }
        if (!settings.issuerKey().get().matches(presented)) {
            return Optional.of(ApiError.of(401, "managing tokens requires the issuer key (Authorization: Bearer "
                    + "<issuer key>) or a user in role " + ROLE));
        }
        return Optional.empty();
    }

    /**
     * Whether the container knows the caller as an issuer. Nothing in the application is
     * constrained, so Basic credentials are checked against the container's realm on demand
     * ({@code HttpServletRequest.login}, with the login-config of web.xml); a server without a
     * realm simply knows nobody.
     */
    private static boolean isIssuerByRole(HttpServletRequest request) {
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
                // Unknown user, wrong password, or no realm: not an issuer by role.
                return false;
            }
        }
        return request.isUserInRole(ROLE);
    }
}
