package dev.creddy.anthropic.config;

import dev.creddy.anthropic.token.IdentityPolicy;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
 * @param policy the limits of tokens obtained with identity tokens, by agent, scope or group, and the claim
 *     rules that admit workload identities
 * @param issuerOptions what some issuers need other than {@code audience} and {@code requiredScope}
 *     ({@code oidc-issuer-options}), by issuer exactly as configured
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
        IdentityPolicy policy,
        Map<String, IssuerOptions> issuerOptions) {

    /**
     * One issuer's own audience and scope requirement, from {@code oidc-issuer-options}: a workload
     * issuer (Kubernetes, GitHub Actions, SPIFFE) mints tokens for its own audience and carries no
     * scope, so its tokens are admitted by claim rules instead. Immutable.
     *
     * @param audience the exact {@code aud} its tokens must carry; empty: {@code oidc-audience}
     * @param requiredScope the scope its tokens must grant; empty: {@code oidc-required-scope}
     * @param scopeOff whether its tokens need no scope, only a matching claim rule
     */
    public record IssuerOptions(Optional<String> audience, Optional<String> requiredScope, boolean scopeOff) {

        private static final Set<String> FIELDS = Set.of("audience", "required_scope");

        public IssuerOptions {
            Objects.requireNonNull(audience, "audience");
            Objects.requireNonNull(requiredScope, "requiredScope");
        }
    }

    /** The settings without per-issuer options: every issuer takes {@code audience} and {@code requiredScope}. */
    public OidcSettings(List<URI> issuers, String audience, String requiredScope, String agentClaim,
            Optional<String> scopesClaim, Duration clockSkew, Duration jwksRefresh, boolean directUse, IdentityPolicy policy) {
        this(issuers, audience, requiredScope, agentClaim, scopesClaim, clockSkew, jwksRefresh, directUse, policy, Map.of());
    }

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
        issuerOptions = Map.copyOf(issuerOptions);
    }

    /** The exact audience {@code issuer}'s tokens must carry. */
    public String audienceFor(String issuer) {
        IssuerOptions options = issuerOptions.get(issuer);
        return options == null ? audience : options.audience().orElse(audience);
    }

    /** The scope {@code issuer}'s tokens must grant, or empty when only a matching claim rule admits them. */
    public Optional<String> requiredScopeFor(String issuer) {
        IssuerOptions options = issuerOptions.get(issuer);
        if (options == null) {
            return Optional.of(requiredScope);
        }
        return options.scopeOff() ? Optional.empty() : Optional.of(options.requiredScope().orElse(requiredScope));
    }

    /**
     * The value of {@code oidc-issuer-options}: {@code {"<issuer>": {"audience": "…", "required_scope":
     * "…" or false}}}. Strict: an unknown field or a value of the wrong type is refused. Whether each
     * issuer is trusted, and whether claim rules admit the tokens of one without a scope, is checked
     * where the other settings are at hand.
     *
     * @throws IllegalArgumentException saying what is wrong
     */
    static Map<String, IssuerOptions> parseIssuerOptions(String raw) {
        jakarta.json.JsonObject document;
        try (jakarta.json.JsonReader reader = jakarta.json.Json.createReader(new java.io.StringReader(raw))) {
            document = reader.readObject();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("must be a JSON object such as {\"https://token.actions.githubusercontent.com\":"
                    + "{\"audience\":\"creddy\",\"required_scope\":false}}");
        }
        Map<String, IssuerOptions> options = new LinkedHashMap<>();
        for (Map.Entry<String, jakarta.json.JsonValue> entry : document.entrySet()) {
            String issuer = entry.getKey();
            if (!(entry.getValue() instanceof jakarta.json.JsonObject fields)) {
                throw new IllegalArgumentException("the options of " + issuer + " must be an object");
            }
            for (String field : fields.keySet()) {
                if (!IssuerOptions.FIELDS.contains(field)) {
                    throw new IllegalArgumentException("the options of " + issuer + " have an unknown field \"" + field
                            + "\": use audience and required_scope");
                }
            }
            Optional<String> audience = Optional.empty();
            if (fields.containsKey("audience")) {
                if (!(fields.get("audience") instanceof jakarta.json.JsonString text) || text.getString().isEmpty()
                        || text.getString().codePoints().anyMatch(Character::isISOControl)) {
                    throw new IllegalArgumentException("the audience of " + issuer + " must be a non-empty string");
                }
                audience = Optional.of(text.getString());
            }
            Optional<String> scope = Optional.empty();
            boolean off = false;
            jakarta.json.JsonValue required = fields.get("required_scope");
            if (required == jakarta.json.JsonValue.FALSE) {
                off = true;
            } else if (required instanceof jakarta.json.JsonString text && text.getString().matches("[\\x21\\x23-\\x5B\\x5D-\\x7E]{1,100}")) {
                scope = Optional.of(text.getString());
            } else if (required != null) {
                throw new IllegalArgumentException("the required_scope of " + issuer + " must be one scope such as "
                        + "\"anthropic\", or false for an issuer whose tokens claim rules admit");
            }
            options.put(issuer, new IssuerOptions(audience, scope, off));
        }
        return options;
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
