package dev.creddy.anthropic.web;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.config.Settings;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Optional;

/**
 * Decides who may issue tokens: a caller presenting the issuer key as a bearer credential
 * (compared in constant time), or anyone when no issuer key is set and open issuance is switched
 * on. Thread-safe.
 */
@ApplicationScoped
public class IssuerAuthorization {

    private Settings settings;

    /** For CDI's proxy. */
    protected IssuerAuthorization() {
    }

    @Inject
    public IssuerAuthorization(Settings settings) {
        this.settings = settings;
    }

    /** Empty when the request may issue tokens, else the error to answer. */
    Optional<ApiError> check(HttpServletRequest request) {
        if (settings.issuerKey().isEmpty()) {
            return settings.openIssuance() ? Optional.empty() : Optional.of(ApiError.of(403,
                    "token issuance is disabled: no issuer key is configured (set issuer-key, or open-issuance=true "
                            + "for local experiments)"));
        }
        String authorization = request.getHeader("authorization");
        String presented = null;
        if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            presented = authorization.substring(7).strip();
        }
        if (!settings.issuerKey().get().matches(presented)) {
            return Optional.of(ApiError.of(401, "issuing tokens requires the issuer key: send Authorization: Bearer <issuer key>"));
        }
        return Optional.empty();
    }
}
