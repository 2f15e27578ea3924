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
 * credential (compared in constant time), the operator console's browser with a live console session
 * and its CSRF token from the console's own origin ({@link ConsoleSessions}), or anyone when no issuer
 * key is set and open issuance is switched on. Thread-safe.
 */
@ApplicationScoped
public class IssuerAuthorization {

    /** The role, declared in web.xml, that container-managed security can grant. */
    public static final String ROLE = "creddy-issuer";

    /** The answer to a console session cookie sent without its CSRF token or from another origin. */
    static final ApiError FORGED = ApiError.of(403, "a console session authorizes only the console's own calls: "
            + "this request lacks the console's CSRF header or comes from another origin");

    private Settings settings;
    private ConsoleSessions console;

    /** For CDI's proxy. */
    protected IssuerAuthorization() {
    }

    @Inject
    public IssuerAuthorization(Settings settings, ConsoleSessions console) {
        this.settings = settings;
        this.console = console;
    }

    /**
     * Whether the request carries an issuer's own credential (the role or the issuer key), as opposed
     * to being let in by open issuance or not at all.
     */
    boolean isIssuer(HttpServletRequest request) {
        return ContainerCredentials.hasRole(request, ROLE)
                || settings.issuerKey().filter(key -> key.matches(ContainerCredentials.bearer(request))).isPresent()
                || console.verdict(request) == ConsoleSessions.Verdict.VALID;
    }

    /** Empty when the request may manage tokens, else the error to answer. */
    Optional<ApiError> check(HttpServletRequest request) {
        if (ContainerCredentials.hasRole(request, ROLE)) {
            return Optional.empty();
        }
        ConsoleSessions.Verdict session = console.verdict(request);
        if (session == ConsoleSessions.Verdict.VALID) {
            return Optional.empty();
        }
        if (session == ConsoleSessions.Verdict.FORGED
                && !settings.issuerKey().filter(key -> key.matches(ContainerCredentials.bearer(request))).isPresent()) {
            // The console's cookie alone, as a cross-site form or a script of another origin would send it.
            return Optional.of(FORGED);
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
