package dev.creddy.anthropic.web;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.config.Secret;
import dev.creddy.anthropic.config.Settings;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Optional;

/**
 * Decides who may read {@code /metrics}: a scraper presenting the metrics key or the issuer key as a
 * bearer credential (compared in constant time), a user the container knows in the role
 * {@value #ROLE}, or the operator console with a live console session. Metrics name agents and show traffic, so they are never open to anyone.
 * Thread-safe.
 */
@ApplicationScoped
public class MetricsAuthorization {

    /** The role, declared in web.xml, that container-managed security can grant a scraper. */
    public static final String ROLE = "creddy-metrics";

    private Settings settings;
    private ConsoleSessions console;

    /** For CDI's proxy. */
    protected MetricsAuthorization() {
    }

    @Inject
    public MetricsAuthorization(Settings settings, ConsoleSessions console) {
        this.settings = settings;
        this.console = console;
    }

    /** Empty when the request may read the metrics, else the error to answer. */
    Optional<ApiError> check(HttpServletRequest request) {
        if (ContainerCredentials.hasRole(request, ROLE)) {
            return Optional.empty();
        }
        // The operator console's health view reads the same meters, as an issuer may.
        if (console.verdict(request) == ConsoleSessions.Verdict.VALID) {
            return Optional.empty();
        }
        if (settings.metricsKey().isEmpty() && settings.issuerKey().isEmpty()) {
            return Optional.of(ApiError.of(403, "metrics cannot be read: no metrics key is configured (set metrics-key "
                    + "or issuer-key, or give a user of the server's realm the role " + ROLE + ")"));
        }
        String presented = ContainerCredentials.bearer(request);
        if (matches(settings.metricsKey(), presented) || matches(settings.issuerKey(), presented)) {
            return Optional.empty();
        }
        return Optional.of(ApiError.of(401, "reading metrics requires the metrics key or the issuer key "
                + "(Authorization: Bearer <key>) or a user in role " + ROLE));
    }

    private static boolean matches(Optional<Secret> key, String presented) {
        return key.isPresent() && key.get().matches(presented);
    }
}
