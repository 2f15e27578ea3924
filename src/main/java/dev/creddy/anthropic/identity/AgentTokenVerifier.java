package dev.creddy.anthropic.identity;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.source.RateLimitReachedException;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.BadJWSException;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.SignedJWT;
import dev.creddy.anthropic.config.OidcSettings;
import dev.creddy.anthropic.token.AgentIdentity;
import dev.creddy.anthropic.token.AgentNames;
import dev.creddy.anthropic.token.ClaimRule;
import dev.creddy.anthropic.token.TokenLimits;
import java.io.Closeable;
import java.net.URI;
import java.text.ParseException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.regex.Pattern;

/**
 * Verifies an agent's identity token (a JWT from a Creddy server or another OpenID Connect provider)
 * and says who it proves: signature with the issuer's published key (RS256 or ES256 only), issuer,
 * audience (the issuer's own, when {@code oidc-issuer-options} sets one), {@code exp}/{@code nbf}/{@code iat}
 * within the clock skew, the required scope, and the claims the proxy records. Everything JOSE is
 * nimbus-jose-jwt's; nothing is checked by hand.
 *
 * <p>Workload identities (Kubernetes service accounts, GitHub Actions jobs, SPIFFE workloads) carry no
 * scope: for an issuer whose scope requirement is off, a token is admitted only by the first
 * {@code oidc-policy} claim rule that matches its claims, which may also name the agent and set its limits.
 *
 * <p>Messages never quote the token. Thread-safe; {@link #close()} stops the background key refresh.
 */
public final class AgentTokenVerifier implements Closeable {

    /** Three base64url parts; the last is empty for an unsigned ({@code alg: none}) token. */
    private static final Pattern SHAPE = Pattern.compile("[A-Za-z0-9_-]{2,}\\.[A-Za-z0-9_-]{2,}\\.[A-Za-z0-9_-]*");
    /** Far above any real identity token, well below what would cost real work to parse. */
    private static final int MAX_LENGTH = 16 * 1024;
    private static final int CONNECT_TIMEOUT_MS = 5_000;
    private static final int READ_TIMEOUT_MS = 5_000;
    private static final int MAX_DOCUMENT_BYTES = 256 * 1024;
    private static final int MAX_CLAIM_LENGTH = 256;

    private final OidcSettings settings;
    private final TokenLimits defaultLimits;
    private final Map<String, IssuerKeys> issuers = new LinkedHashMap<>();
    private final ScopeRule scopes;
    private final Clock clock;
    private final ExecutorService refresher;
    private final ScheduledExecutorService scheduler;

    /**
     * @param defaultLimits what an agent's tokens may spend where {@code oidc-policy} says nothing ({@code default-limits})
     */
    public AgentTokenVerifier(OidcSettings settings, TokenLimits defaultLimits, Clock clock) {
        this.settings = settings;
        this.defaultLimits = defaultLimits;
        this.scopes = new ScopeRule(settings.requiredScope());
        this.clock = clock;
        this.refresher = Executors.newSingleThreadExecutor(daemon("creddy-jwks-refresh"));
        this.scheduler = Executors.newSingleThreadScheduledExecutor(daemon("creddy-jwks-schedule"));
        DefaultResourceRetriever retriever = new DefaultResourceRetriever(CONNECT_TIMEOUT_MS, READ_TIMEOUT_MS,
                MAX_DOCUMENT_BYTES);
        for (URI issuer : settings.issuers()) {
            issuers.put(issuer.toString(), new IssuerKeys(issuer, settings, retriever, refresher, scheduler));
        }
    }

    /** Whether {@code credential} has the shape of a JWT, so that it is worth verifying as one. */
    public static boolean looksLikeJwt(String credential) {
        return credential.length() <= MAX_LENGTH && SHAPE.matcher(credential).matches();
    }

    /** Whether the forwarding path accepts identity tokens in place of {@code crd_} tokens. */
    public boolean acceptsDirectUse() {
        return settings.directUse();
    }

    /**
     * Verifies {@code jwt} and returns what it proves.
     *
     * @throws AgentTokenRefusedException when it proves nothing ({@code UNAUTHENTICATED}), does not grant the
     *     right ({@code FORBIDDEN}), or its issuer's keys are out of reach ({@code UNAVAILABLE})
     */
    public VerifiedAgent verify(String jwt) throws AgentTokenRefusedException {
        SignedJWT signed = parse(jwt);
        IssuerKeys keys = issuerOf(signed);
        JWTClaimsSet claims;
        try {
            claims = keys.processor().process(signed, null);
        } catch (BadJWSException e) {
            throw unauthenticated("its signature does not verify with the issuer's published keys (RS256 or ES256)");
        } catch (BadJOSEException e) {
            throw unauthenticated(claimsProblem(e.getMessage()));
        } catch (RateLimitReachedException e) {
            throw unauthenticated("it is signed with a key its issuer does not publish");
        } catch (KeySourceException e) {
            throw new AgentTokenRefusedException(AgentTokenRefusedException.Kind.UNAVAILABLE,
                    "the identity token's issuer cannot be reached to fetch its keys; try again shortly");
        } catch (JOSEException e) {
            throw unauthenticated("its signature cannot be verified");
        }
        Instant now = clock.instant();
        if (claims.getIssueTime() != null && claims.getIssueTime().toInstant().isAfter(now.plus(settings.clockSkew()))) {
            throw unauthenticated("it was issued in the future (iat); check the clocks");
        }
        String issuer = claims.getIssuer();
        Map<String, Object> claimValues = claims.toJSONObject();
        Optional<ClaimRule> rule = settings.policy().claimRuleFor(issuer, claimValues);
        Optional<String> requiredScope = settings.requiredScopeFor(issuer);
        List<String> granted;
        if (requiredScope.isPresent()) {
            ScopeRule scopes = requiredScope.get().equals(this.scopes.toString()) ? this.scopes : new ScopeRule(requiredScope.get());
            granted = scopes.satisfying(grantedScopes(claims));
            if (granted.isEmpty()) {
                throw forbidden("the identity token does not grant the scope \"" + scopes + "\" (or a narrower "
                        + scopes + ":… scope) that this proxy requires");
            }
        } else {
            granted = List.of();
            if (rule.isEmpty()) {
                // No scope to grant the right: only a rule that names this workload's claims does.
                throw forbidden("no oidc-policy rule admits the identity token: its claims match none of the rules for "
                        + "its issuer");
            }
        }
        String subject = claims.getSubject();
        String agentName;
        try {
            Optional<String> named = rule.isPresent() ? rule.get().agentName(claimValues) : Optional.empty();
            agentName = named.isPresent() ? named.get() : text(claims, settings.agentClaim()).orElse(subject);
            AgentNames.check("the agent name claim", agentName);
            AgentNames.check("the sub claim", subject);
        } catch (IllegalArgumentException e) {
            throw forbidden("the identity token's " + e.getMessage().substring("the ".length()));
        }
        String ipRestriction = text(claims, "ip_restriction").orElse(null);
        if (ipRestriction != null) {
            try {
                IpRange.parse(ipRestriction);
            } catch (IllegalArgumentException e) {
                throw forbidden("the identity token's ip_restriction claim cannot be honoured: " + e.getMessage());
            }
        }
        AgentIdentity identity = new AgentIdentity(claims.getIssuer(), subject, text(claims, "task_id").orElse(null),
                text(claims, "parent_agent_id").orElse(null), granted, ipRestriction);
        TokenLimits limits = rule.flatMap(ClaimRule::limits).orElseGet(() -> settings.policy().limitsFor(agentName, granted));
        return new VerifiedAgent(agentName, claims.getExpirationTime().toInstant(), identity, limits.orElse(defaultLimits));
    }

    private static SignedJWT parse(String jwt) throws AgentTokenRefusedException {
        JWT parsed;
        try {
            parsed = JWTParser.parse(jwt);
        } catch (ParseException e) {
            throw unauthenticated("it is not a well-formed JWT");
        }
        if (!(parsed instanceof SignedJWT signed)) {
            throw unauthenticated("it is not signed (alg none or an encrypted token); only RS256 and ES256 are accepted");
        }
        return signed;
    }

    /** The issuer's keys, chosen by the token's unverified {@code iss}: the processor then verifies it. */
    private IssuerKeys issuerOf(SignedJWT signed) throws AgentTokenRefusedException {
        String issuer;
        try {
            issuer = signed.getJWTClaimsSet().getIssuer();
        } catch (ParseException e) {
            throw unauthenticated("its claims are not a JSON object with the standard claim types");
        }
        IssuerKeys keys = issuer == null ? null : issuers.get(issuer);
        if (keys == null) {
            throw unauthenticated("it is not issued by an issuer this proxy trusts (iss)");
        }
        return keys;
    }

    /** The token's granted scopes: the configured claim, else {@code scopes} (an array), else {@code scope} (a string). */
    private List<String> grantedScopes(JWTClaimsSet claims) throws AgentTokenRefusedException {
        List<String> names = settings.scopesClaim().map(List::of).orElse(List.of("scopes", "scope"));
        for (String name : names) {
            Object value = claims.getClaim(name);
            if (value instanceof String text) {
                return Arrays.stream(text.split(" ")).filter(s -> !s.isEmpty()).toList();
            }
            if (value instanceof List<?> list) {
                List<String> granted = new ArrayList<>();
                for (Object scope : list) {
                    if (!(scope instanceof String text)) {
                        throw forbidden("the identity token's " + name + " claim must list scopes as strings");
                    }
                    granted.add(text);
                }
                return granted;
            }
            if (value != null) {
                throw forbidden("the identity token's " + name + " claim must be a list of scopes or a space-separated string");
            }
        }
        return List.of();
    }

    /** A string (or number) claim, checked like an agent name since it reaches listings and log lines. */
    private static Optional<String> text(JWTClaimsSet claims, String name) throws AgentTokenRefusedException {
        Object value = claims.getClaim(name);
        if (value == null) {
            return Optional.empty();
        }
        if (!(value instanceof String) && !(value instanceof Number)) {
            throw forbidden("the identity token's " + name + " claim must be a string");
        }
        String text = value.toString();
        if (text.length() > MAX_CLAIM_LENGTH) {
            throw forbidden("the identity token's " + name + " claim is longer than " + MAX_CLAIM_LENGTH + " characters");
        }
        try {
            return Optional.of(AgentNames.check(name, text));
        } catch (IllegalArgumentException e) {
            throw forbidden("the identity token's " + e.getMessage());
        }
    }

    /** Nimbus's reason for refusing a token, in the proxy's words (by its fixed message texts). */
    private static String claimsProblem(String reason) {
        String text = reason == null ? "" : reason;
        if (text.equals("Expired JWT")) {
            return "it has expired (exp)";
        }
        if (text.equals("JWT before use time")) {
            return "it is not valid yet (nbf)";
        }
        if (text.equals("JWT aud claim rejected") || text.equals("JWT missing required aud claim")) {
            return "it is not meant for this proxy (aud)";
        }
        if (text.equals("JWT iss claim value rejected")) {
            return "it is not issued by an issuer this proxy trusts (iss)";
        }
        if (text.startsWith("JWT missing required claims")) {
            return "it lacks a required claim (iss, sub, aud and exp are required)";
        }
        if (text.startsWith("JOSE header typ") || text.startsWith("Required JOSE header typ")) {
            return "its type (typ) is not JWT";
        }
        if (text.contains("Another algorithm expected, or no matching key(s) found")) {
            return "it is signed with an algorithm other than RS256 or ES256, or with a key its issuer does not publish";
        }
        return "its claims are not acceptable";
    }

    private static AgentTokenRefusedException unauthenticated(String problem) {
        return new AgentTokenRefusedException(AgentTokenRefusedException.Kind.UNAUTHENTICATED,
                "invalid identity token: " + problem);
    }

    private static AgentTokenRefusedException forbidden(String message) {
        return new AgentTokenRefusedException(AgentTokenRefusedException.Kind.FORBIDDEN, message);
    }

    private static ThreadFactory daemon(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }

    /** Stops the background key refreshes. */
    @Override
    public void close() {
        issuers.values().forEach(IssuerKeys::close);
        refresher.shutdownNow();
        scheduler.shutdownNow();
    }
}
