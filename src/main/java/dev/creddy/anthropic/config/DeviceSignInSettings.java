package dev.creddy.anthropic.config;

import dev.creddy.anthropic.token.IdentityPolicy;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Claude Code's gateway sign-in (OAuth device authorization, RFC 8628) against the proxy, present
 * exactly when {@code device-sign-in} is on. Immutable.
 *
 * @param userRole the container role a person needs to approve a sign-in at {@code /device} ({@code device-user-role})
 * @param accessTtl how long an access token (a {@code crd_} token) lives ({@code device-access-ttl})
 * @param sessionMax how long a sign-in lasts, refreshes included, before the person signs in again ({@code device-session-max})
 * @param policy {@code oidc-policy}, whose {@code agent:} and {@code group:} rules set signed-in people's limits
 * @param oidc the organisation's OpenID Connect provider people sign in with at {@code /device}; empty: the container's login
 * @param managedSettings the Claude Code settings file served at {@code /managed/settings}; empty: none (404)
 */
public record DeviceSignInSettings(String userRole, Duration accessTtl, Duration sessionMax, IdentityPolicy policy,
        Optional<DeviceOidcSettings> oidc, Optional<java.nio.file.Path> managedSettings) {

    /** Without managed settings. */
    public DeviceSignInSettings(String userRole, Duration accessTtl, Duration sessionMax, IdentityPolicy policy,
            Optional<DeviceOidcSettings> oidc) {
        this(userRole, accessTtl, sessionMax, policy, oidc, Optional.empty());
    }

    /** Sign-in with the container's login. */
    public DeviceSignInSettings(String userRole, Duration accessTtl, Duration sessionMax, IdentityPolicy policy) {
        this(userRole, accessTtl, sessionMax, policy, Optional.empty());
    }

    public DeviceSignInSettings {
        Objects.requireNonNull(userRole, "userRole");
        Objects.requireNonNull(accessTtl, "accessTtl");
        Objects.requireNonNull(sessionMax, "sessionMax");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(oidc, "oidc");
        Objects.requireNonNull(managedSettings, "managedSettings");
    }
}
