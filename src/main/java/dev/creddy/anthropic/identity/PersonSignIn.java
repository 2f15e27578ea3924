package dev.creddy.anthropic.identity;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.BadJWSException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.creddy.anthropic.config.DeviceOidcSettings;
import dev.creddy.anthropic.token.AgentNames;
import java.io.Closeable;
import java.io.IOException;
import java.io.Serializable;
import java.net.URI;
import java.net.URL;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;

/**
 * Signs a person in with the organisation's OpenID Connect provider for the approval page: the
 * authorization code flow (OpenID Connect Core §3.1) with PKCE ({@code S256}, RFC 7636), a fresh
 * {@code state} and {@code nonce} per attempt, the code exchanged at the provider's token endpoint with
 * the client secret ({@code client_secret_basic}, or {@code client_secret_post} when that is all the
 * provider offers), and the ID token verified with nimbus-jose-jwt against the provider's published keys:
 * signature (RS256 or ES256), {@code iss} exactly the configured issuer, {@code aud} the client id (and
 * {@code azp} when there are several audiences), {@code exp}, {@code iat}, and {@code nonce} exactly the
 * one this attempt sent. Discovery is shared with the identity token issuers ({@link ProviderDiscovery}).
 *
 * <p>The provider's endpoints are discovered on first use and again after a failure (at most every
 * {@link AgentTokenRefusedException#RETRY_AFTER}); its keys are cached like an identity token issuer's.
 * Messages never quote a code, a token or the secret. Thread-safe.
 */
public final class PersonSignIn implements Closeable {

    private static final Logger LOG = Logger.getLogger(PersonSignIn.class.getName());
    private static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256);
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final Duration CLOCK_SKEW = Duration.ofSeconds(60);
    private static final int MAX_GROUPS = 200;
    private static final int MAX_ANSWER_BYTES = 256 * 1024;
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();

    /**
     * One sign-in attempt the browser was sent off with: what the callback must find again. Kept in the
     * person's HTTP session, never shown (the state and the nonce travel through the provider, the
     * verifier never leaves the proxy). Immutable.
     */
    public record Attempt(String state, String nonce, String codeVerifier, String redirectUri, String userCode)
            implements Serializable {
        @Override
        public String toString() {
            return "Attempt[" + userCode + "]";
        }
    }

    /** Who the provider vouched for. Immutable. */
    public record SignedIn(String issuer, String subject, String name, List<String> groups) {
        public SignedIn {
            groups = List.copyOf(groups);
        }
    }

    private record Endpoints(URL authorization, URL token, boolean basicAuth, JWKSource<SecurityContext> keys) {
    }

    private final DeviceOidcSettings settings;
    private final DefaultResourceRetriever retriever = new DefaultResourceRetriever(5_000, 5_000, MAX_ANSWER_BYTES);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER).build();
    private final SecureRandom random = new SecureRandom();
    private Endpoints endpoints;
    private long lastFailureNanos;
    private boolean failedBefore;

    public PersonSignIn(DeviceOidcSettings settings) {
        this.settings = settings;
    }

    /**
     * A new attempt and the provider's authorization URL to send the browser to.
     *
     * @throws AgentTokenRefusedException ({@code UNAVAILABLE}) when the provider cannot be discovered
     */
    public Map.Entry<Attempt, URI> start(String redirectUri, String userCode) throws AgentTokenRefusedException {
        Endpoints found = endpoints();
        Attempt attempt = new Attempt(secret(), secret(), secret(), redirectUri, userCode);
        Map<String, String> query = new LinkedHashMap<>();
        query.put("response_type", "code");
        query.put("client_id", settings.clientId());
        query.put("redirect_uri", redirectUri);
        query.put("scope", String.join(" ", settings.scopes()));
        query.put("state", attempt.state());
        query.put("nonce", attempt.nonce());
        query.put("code_challenge", challenge(attempt.codeVerifier()));
        query.put("code_challenge_method", "S256");
        String base = found.authorization().toString();
        return Map.entry(attempt, URI.create(base + (base.contains("?") ? "&" : "?") + form(query)));
    }

    /**
     * Exchanges the code the provider sent back for the attempt it belongs to, and verifies the ID token.
     * The caller has checked {@code state} already.
     *
     * @throws AgentTokenRefusedException {@code UNAUTHENTICATED} when the provider refuses the code or the ID
     *     token proves nothing; {@code UNAVAILABLE} when the provider cannot be reached
     */
    public SignedIn finish(Attempt attempt, String code) throws AgentTokenRefusedException {
        Endpoints found = endpoints();
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("grant_type", "authorization_code");
        fields.put("code", code);
        fields.put("redirect_uri", attempt.redirectUri());
        fields.put("code_verifier", attempt.codeVerifier());
        HttpRequest.Builder request;
        try {
            String secret = settings.currentClientSecret().reveal();
            request = HttpRequest.newBuilder(found.token().toURI()).timeout(TIMEOUT)
                    .header("Content-Type", "application/x-www-form-urlencoded").header("Accept", "application/json");
            if (found.basicAuth()) {
                // RFC 6749 §2.3.1: both parts form-encoded before Base64.
                String credentials = URLEncoder.encode(settings.clientId(), StandardCharsets.UTF_8) + ":"
                        + URLEncoder.encode(secret, StandardCharsets.UTF_8);
                request.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                        credentials.getBytes(StandardCharsets.UTF_8)));
            } else {
                fields.put("client_id", settings.clientId());
                fields.put("client_secret", secret);
            }
        } catch (IOException | java.net.URISyntaxException e) {
            LOG.warning(() -> "device sign-in: the client secret cannot be read (" + e.getMessage() + ")");
            throw new AgentTokenRefusedException(AgentTokenRefusedException.Kind.UNAVAILABLE,
                    "the sign-in provider's client secret cannot be read; tell the proxy's operator");
        }
        HttpResponse<byte[]> answer;
        try {
            answer = http.send(request.POST(HttpRequest.BodyPublishers.ofString(form(fields))).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw unavailable("the sign-in provider's token endpoint did not answer");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unavailable("the sign-in was interrupted");
        }
        if (answer.body().length > MAX_ANSWER_BYTES) {
            throw refused("the sign-in provider's answer is too large");
        }
        Map<String, Object> body;
        try {
            body = JSONObjectUtils.parse(new String(answer.body(), StandardCharsets.UTF_8));
        } catch (ParseException e) {
            throw answer.statusCode() >= 500 ? unavailable("the sign-in provider failed (HTTP " + answer.statusCode() + ")")
                    : refused("the sign-in provider's answer is not JSON (HTTP " + answer.statusCode() + ")");
        }
        if (answer.statusCode() != 200) {
            // RFC 6749 §5.2: invalid_grant for a code that is unknown, used or for another client.
            String error = body.get("error") instanceof String text && text.matches("[\\x20-\\x7e]{1,64}") ? text : "unknown";
            throw answer.statusCode() >= 500 ? unavailable("the sign-in provider failed (HTTP " + answer.statusCode() + ")")
                    : refused("the sign-in provider refused the sign-in code (" + error + "); sign in again");
        }
        if (!(body.get("id_token") instanceof String idToken)) {
            throw refused("the sign-in provider sent no ID token (is openid among device-oidc-scopes?)");
        }
        return verify(found, idToken, attempt.nonce());
    }

    private SignedIn verify(Endpoints found, String idToken, String nonce) throws AgentTokenRefusedException {
        JWT parsed;
        try {
            parsed = JWTParser.parse(idToken);
        } catch (ParseException e) {
            throw refused("the ID token is not a well-formed JWT");
        }
        if (!(parsed instanceof SignedJWT signed)) {
            throw refused("the ID token is not signed");
        }
        DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
        processor.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(JOSEObjectType.JWT, null));
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(ALGORITHMS, found.keys()));
        DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(Set.of(settings.clientId()),
                new JWTClaimsSet.Builder().issuer(settings.issuer().toString()).claim("nonce", nonce).build(),
                Set.of("iss", "sub", "aud", "exp", "iat", "nonce"), null);
        claims.setMaxClockSkew((int) CLOCK_SKEW.toSeconds());
        processor.setJWTClaimsSetVerifier(claims);
        JWTClaimsSet verified;
        try {
            verified = processor.process(signed, null);
        } catch (BadJWSException e) {
            throw refused("the ID token's signature does not verify with the provider's published keys");
        } catch (BadJOSEException e) {
            throw refused("the ID token is not acceptable (" + idTokenProblem(e.getMessage()) + ")");
        } catch (KeySourceException e) {
            throw unavailable("the sign-in provider's keys cannot be fetched");
        } catch (JOSEException e) {
            throw refused("the ID token's signature cannot be verified");
        }
        List<String> audience = verified.getAudience();
        Object azp = verified.getClaim("azp");
        if (audience.size() > 1 && !settings.clientId().equals(azp)) {
            // OpenID Connect Core §3.1.3.7 (4, 5): a token for several parties must be authorized for this one.
            throw refused("the ID token is not acceptable (it is for several audiences and azp is not this proxy)");
        }
        String subject = verified.getSubject();
        Object named = verified.getClaim(settings.nameClaim());
        String name = named instanceof String text && !text.isEmpty() ? text : subject;
        try {
            AgentNames.check("the ID token's sub claim", subject);
            AgentNames.check("the ID token's " + settings.nameClaim() + " claim", name);
            return new SignedIn(verified.getIssuer(), subject, name, groups(verified.getClaim(settings.groupsClaim())));
        } catch (IllegalArgumentException e) {
            throw refused(e.getMessage());
        }
    }

    /** The groups claim: a list of strings (or one string); anything else names no group. */
    private List<String> groups(Object claim) {
        List<String> groups = new ArrayList<>();
        if (claim instanceof String one) {
            groups.add(AgentNames.check("a group in the ID token", one));
        } else if (claim instanceof List<?> list) {
            for (Object entry : list) {
                if (entry instanceof String group && groups.size() < MAX_GROUPS) {
                    groups.add(AgentNames.check("a group in the ID token", group));
                }
            }
        }
        return groups;
    }

    private static String idTokenProblem(String reason) {
        String text = reason == null ? "" : reason;
        if (text.equals("Expired JWT")) {
            return "it has expired";
        }
        if (text.startsWith("JWT aud claim") || text.startsWith("JWT missing required aud")) {
            return "it is not meant for this proxy's client id";
        }
        if (text.startsWith("JWT iss claim")) {
            return "it is not from the configured provider";
        }
        if (text.startsWith("JWT nonce claim")) {
            return "its nonce is not the one this sign-in sent";
        }
        if (text.startsWith("JWT missing required claims")) {
            return "it lacks iss, sub, aud, exp, iat or nonce";
        }
        if (text.contains("no matching key")) {
            return "it is signed with an algorithm other than RS256 or ES256, or with a key the provider does not publish";
        }
        return "its claims are not acceptable";
    }

    /** The provider's endpoints and keys, discovered once (again after a failure, at most every few seconds). */
    private synchronized Endpoints endpoints() throws AgentTokenRefusedException {
        if (endpoints != null) {
            return endpoints;
        }
        if (failedBefore && System.nanoTime() - lastFailureNanos < AgentTokenRefusedException.RETRY_AFTER.toNanos()) {
            throw unavailable("the sign-in provider cannot be reached");
        }
        try {
            Map<String, Object> metadata = ProviderDiscovery.fetch(settings.issuer(), retriever);
            URL authorization = ProviderDiscovery.endpoint(metadata, "authorization_endpoint");
            URL token = ProviderDiscovery.endpoint(metadata, "token_endpoint");
            URL jwks = ProviderDiscovery.endpoint(metadata, "jwks_uri");
            List<String> methods = JSONObjectUtils.getStringList(metadata, "token_endpoint_auth_methods_supported");
            // OpenID Connect Discovery §3: without the field, client_secret_basic is the default.
            boolean basic = methods == null || methods.contains("client_secret_basic") || !methods.contains("client_secret_post");
            JWKSource<SecurityContext> keys = JWKSourceBuilder.<SecurityContext>create(jwks, retriever)
                    .cache(Duration.ofHours(1).toMillis(), TIMEOUT.toMillis())
                    .rateLimited(Duration.ofSeconds(30).toMillis())
                    .retrying(false)
                    .build();
            endpoints = new Endpoints(authorization, token, basic, keys);
            LOG.info(() -> "device sign-in: people sign in with " + settings.issuer() + " (client " + settings.clientId() + ")");
            return endpoints;
        } catch (IOException | ParseException | RuntimeException e) {
            failedBefore = true;
            lastFailureNanos = System.nanoTime();
            LOG.warning(() -> "device sign-in: cannot discover the sign-in provider " + settings.issuer() + " ("
                    + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
            throw unavailable("the sign-in provider cannot be reached");
        }
    }

    private String secret() {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return BASE64URL.encodeToString(bytes);
    }

    /** RFC 7636 §4.2: BASE64URL(SHA256(ASCII(code_verifier))). */
    static String challenge(String verifier) {
        try {
            return BASE64URL.encodeToString(MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    private static String form(Map<String, String> fields) {
        StringBuilder form = new StringBuilder();
        fields.forEach((name, value) -> form.append(form.isEmpty() ? "" : "&").append(URLEncoder.encode(name, StandardCharsets.UTF_8))
                .append('=').append(URLEncoder.encode(value, StandardCharsets.UTF_8)));
        return form.toString();
    }

    private static AgentTokenRefusedException refused(String message) {
        return new AgentTokenRefusedException(AgentTokenRefusedException.Kind.UNAUTHENTICATED, message);
    }

    private static AgentTokenRefusedException unavailable(String message) {
        return new AgentTokenRefusedException(AgentTokenRefusedException.Kind.UNAVAILABLE, message + "; try again shortly");
    }

    @Override
    public synchronized void close() {
        if (endpoints != null && endpoints.keys() instanceof Closeable closeable) {
            try {
                closeable.close();
            } catch (IOException e) {
                // Nothing holds on to it.
            }
        }
    }
}
