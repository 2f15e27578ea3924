package dev.creddy.anthropic.config;

import dev.creddy.anthropic.token.IdentityPolicy;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * How agents prove who they are with an identity token (a JWT) from a Creddy server or any OpenID
 * Connect provider, present exactly when {@code oidc-issuer} is set. Immutable.
 *
 * @param issuers the trusted issuers, exactly as their tokens' {@code iss} and discovery documents name them
 * @param audience the {@code aud} a token must carry to be meant for this proxy
 * @param requiredScope the scope a token must grant; {@code <scope>:<anything>} counts as a narrower grant of it
 * @param agentClaim the claim that names the agent; {@code sub} when a token lacks it
 * @param scopesClaim the claim that lists the granted scopes; empty: {@code scopes} (array), then {@code scope} (string)
 * @param clockSkew how far clocks may disagree when {@code exp}, {@code nbf} and {@code iat} are checked
 * @param jwksRefresh how often the issuers' keys are fetched again in the background
 * @param directUse whether the forwarding path accepts an identity token in place of a {@code crd_} token
 * @param policy the limits of tokens obtained with identity tokens, by agent or scope
 */
public record OidcSettings(
        List<URI> issuers,
        String audience,
        String requiredScope,
        String agentClaim,
        Optional<String> scopesClaim,
        Duration clockSkew,
        Duration jwksRefresh,
        boolean directUse,
        IdentityPolicy policy) {

    public OidcSettings {
        issuers = List.copyOf(issuers);
        if (issuers.isEmpty()) {
            throw new IllegalArgumentException("at least one issuer");
        }
        Objects.requireNonNull(audience, "audience");
        Objects.requireNonNull(requiredScope, "requiredScope");
        Objects.requireNonNull(agentClaim, "agentClaim");
        Objects.requireNonNull(scopesClaim, "scopesClaim");
        Objects.requireNonNull(clockSkew, "clockSkew");
        Objects.requireNonNull(jwksRefresh, "jwksRefresh");
        Objects.requireNonNull(policy, "policy");
    }

    /** The issuer list of {@code oidc-issuer}: comma or whitespace separated, each a URL that keys may be fetched from. */
    static List<URI> parseIssuers(String raw) {
        Set<URI> issuers = new LinkedHashSet<>();
        for (String part : raw.split("[,\\s]+")) {
            if (!part.isEmpty()) {
                issuers.add(fetchableUrl(part));
            }
        }
        if (issuers.isEmpty()) {
            throw new IllegalArgumentException("name at least one issuer URL");
        }
        return new ArrayList<>(issuers);
    }

    /**
     * Checks a URL that keys or discovery documents are fetched from: https, or http only to a loopback
     * host (a provider on the same machine, or a test). A plain-http issuer elsewhere would let anyone on
     * the path swap the keys, and with them every identity.
     *
     * @throws IllegalArgumentException saying what is wrong
     */
    public static URI fetchableUrl(String raw) {
        URI uri = SettingsLoader.absoluteHttpUrl(raw);
        if (uri.getScheme().equalsIgnoreCase("http") && !isLoopback(uri.getHost())) {
            throw new IllegalArgumentException("must use https (http is accepted only for loopback hosts such as 127.0.0.1)");
        }
        return uri;
    }

    /** 127.0.0.0/8, ::1 or localhost, decided from the literal: no name is looked up. */
    static boolean isLoopback(String host) {
        String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (bare.equalsIgnoreCase("localhost")) {
            return true;
        }
        boolean ipv4 = bare.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        boolean ipv6 = bare.contains(":") && bare.matches("[0-9A-Fa-f:.]+");
        if (!ipv4 && !ipv6) {
            return false;
        }
        try {
            // A literal: getByName parses it without asking DNS.
            return InetAddress.getByName(bare).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
