package dev.creddy.anthropic.web;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.config.Settings;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
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

    /**
     * Whether the request carries an issuer's own credential (the role or the issuer key), as opposed
     * to being let in by open issuance or not at all.
     */
    boolean isIssuer(HttpServletRequest request) {
        return ContainerCredentials.hasRole(request, ROLE)
                || settings.issuerKey().filter(key -> key.matches(ContainerCredentials.bearer(request))).isPresent();
    }

    /** Empty when the request may manage tokens, else the error to answer. */
    Optional<ApiError> check(HttpServletRequest request) {
        if (ContainerCredentials.hasRole(request, ROLE)) {
            return Optional.empty();
        }
        if (settings.issuerKey().isEmpty()) {
            return settings.openIssuance() ? Optional.empty() : Optional.of(ApiError.of(403,
                    "token management is disabled: no issuer key is configured (set issuer-key, or open-issuance=true "
                            + "for local experiments)"));
        }
        if (!settings.issuerKey().get().matches(ContainerCredentials.bearer(request))) {
            return Optional.of(ApiError.of(401, "managing tokens requires the issuer key (Authorization: Bearer "
                    + "<issuer key>) or a user in role " + ROLE));
        }
        return Optional.empty();
    }
}
