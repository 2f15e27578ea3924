package dev.creddy.anthropic.it.support;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * An OpenID Connect provider on loopback standing in for a Creddy server: discovery at
 * {@code /.well-known/openid-configuration}, its keys at {@code /.well-known/jwks.json}, and a
 * client-credentials endpoint {@code POST /oauth/token} (form {@code grant_type}, {@code client_id},
 * {@code client_secret}) that mints RS256 identity tokens with Creddy's claims: {@code sub},
 * {@code agent_id}, {@code agent_name}, {@code scopes}, and optionally {@code ip_restriction},
 * {@code task_id}, {@code parent_agent_id}. Keys are generated here; {@link #rotate()} publishes a new
 * key id and signs with it from then on. Every token it mints is handed to the leak audit.
 *
 * <p>It also signs people in for the approval page, as an organisation's provider would: an
 * authorization endpoint {@code GET /authorize} (OpenID Connect Core §3.1.2) that signs in the person
 * {@link #signInAs} named at once (no login form) and sends the browser back with a single-use code, and
 * the {@code authorization_code} grant at {@code /oauth/token} that checks the client's secret (Basic or
 * form), the redirect URI and the PKCE verifier ({@code S256} only) and answers with an ID token carrying
 * the request's {@code nonce} (or, for a test, {@link #forgeNonce another one}).
 *
 * <p>Thread-safe; {@link #close()} stops the server.
 */
public final class FakeOidcProvider implements AutoCloseable {

    /** The audience the tests' proxies expect. */
    public static final String AUDIENCE = "creddy-anthropic-proxy";

    /** A registered agent: its client credentials and the claims its tokens carry beyond the standard ones. */
    public record Agent(String clientId, String clientSecret, Map<String, Object> claims) {
    }

    /** What one authorization code stands for until it is exchanged once. */
    private record PendingCode(String clientId, String redirectUri, String challenge, String nonce, Map<String, Object> person) {
    }

    private final Map<String, String> clients = new ConcurrentHashMap<>();
    private final Map<String, PendingCode> codes = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicReference<Map<String, Object>> person =
            new java.util.concurrent.atomic.AtomicReference<>(Map.of());
    private final java.util.concurrent.atomic.AtomicReference<String> forgedNonce = new java.util.concurrent.atomic.AtomicReference<>();
    private final AtomicInteger codeExchanges = new AtomicInteger();
    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "fake-oidc");
        thread.setDaemon(true);
        return thread;
    });
    private final List<JWK> published = new CopyOnWriteArrayList<>();
    private final Map<String, Agent> agents = new ConcurrentHashMap<>();
    private final AtomicInteger jwksFetches = new AtomicInteger();
    private final String jwksPath;
    private volatile RSAKey signingKey;

    private FakeOidcProvider(String jwksPath) throws IOException {
        this.jwksPath = jwksPath;
        signingKey = newKey();
        published.add(signingKey);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(executor);
        server.createContext("/.well-known/openid-configuration", this::discovery);
        server.createContext(jwksPath, this::jwks);
        server.createContext("/oauth/token", this::token);
        server.createContext("/authorize", this::authorize);
        server.start();
    }

    public static FakeOidcProvider start() {
        return startWithKeysAt("/.well-known/jwks.json");
    }

    /**
     * A provider that publishes its keys at {@code jwksPath}, as workload issuers do: a Kubernetes API
     * server at {@code /openid/v1/jwks}, GitHub Actions at {@code /.well-known/jwks}, SPIRE's OIDC
     * discovery provider at {@code /keys}. Discovery names it, so the proxy finds it the same way.
     */
    public static FakeOidcProvider startWithKeysAt(String jwksPath) {
        try {
            return new FakeOidcProvider(jwksPath);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the fake OIDC provider", e);
        }
    }

    /** {@code claims} signed RS256 with the current key, with {@code type} (or none) as the header's {@code typ}. */
    public String sign(JWTClaimsSet claims, JOSEObjectType type) {
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(signingKey.getKeyID())
                    .type(type).build(), claims);
            jwt.sign(new RSASSASigner(signingKey));
            String serialized = jwt.serialize();
            SuiteRecorder.token(serialized);
            return serialized;
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The issuer, exactly as tokens and the discovery document name it. */
    public String issuer() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** The tests' usual proxy settings (real key, fake upstream, issuer key), trusting this provider. */
    public Map<String, String> proxySettings() {
        Map<String, String> settings = new HashMap<>(ProxyWar.standardSettings());
        settings.put("oidc-issuer", issuer());
        settings.put("oidc-audience", AUDIENCE);
        return settings;
    }

    /** A fresh RSA key pair (2048 bits) with a random key id; not published. */
    public static RSAKey newKey() {
        try {
            return new RSAKeyGenerator(2048).keyID(UUID.randomUUID().toString()).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The key tokens are signed with now (its public half is published). */
    public RSAKey signingKey() {
        return signingKey;
    }

    /** Publishes a new key and signs with it from now on; the old key stays published, as in a real rotation. */
    public RSAKey rotate() {
        RSAKey next = newKey();
        published.add(next);
        signingKey = next;
        return next;
    }

    /** Publishes another key (an EC key, say) without signing with it. */
    public void publish(JWK key) {
        published.add(key);
    }

    /** How many times the key set was fetched. */
    public int jwksFetches() {
        return jwksFetches.get();
    }

    /** Registers an agent whose tokens carry {@code claims} (e.g. agent_name, scopes, ip_restriction). */
    public Agent register(String clientId, Map<String, Object> claims) {
        Agent agent = new Agent(clientId, "secret-" + UUID.randomUUID(), Map.copyOf(claims));
        agents.put(clientId, agent);
        return agent;
    }

    /** The claims of a Creddy identity token for {@code agentName}, valid for ten minutes from now. */
    public JWTClaimsSet.Builder claims(String agentName) {
        Instant now = Instant.now();
        String agentId = "agent-" + agentName;
        return new JWTClaimsSet.Builder()
                .issuer(issuer())
                .subject(agentId)
                .audience(AUDIENCE)
                .issueTime(Date.from(now))
                .notBeforeTime(Date.from(now))
                .expirationTime(Date.from(now.plus(Duration.ofMinutes(10))))
                .jwtID(UUID.randomUUID().toString())
                .claim("agent_id", agentId)
                .claim("agent_name", agentName)
                .claim("scopes", List.of("anthropic"));
    }

    /** A token for {@code agentName} with the claims {@code adjust} makes, signed RS256 with the current key. */
    public String mint(String agentName, UnaryOperator<JWTClaimsSet.Builder> adjust) {
        return sign(signingKey, adjust.apply(claims(agentName)).build());
    }

    /** {@code claims} signed RS256 with {@code key} (published or not), the key id in the header. */
    public static String sign(RSAKey key, JWTClaimsSet claims) {
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID())
                    .type(JOSEObjectType.JWT).build(), claims);
            jwt.sign(new RSASSASigner(key));
            String serialized = jwt.serialize();
            SuiteRecorder.token(serialized);
            return serialized;
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Registers a client of the authorization code flow and returns its secret. */
    public String registerClient(String clientId) {
        String secret = "client-secret-" + UUID.randomUUID();
        clients.put(clientId, secret);
        SuiteRecorder.token(secret);
        return secret;
    }

    /** The person the authorization endpoint signs in from now on: {@code sub} and any other claims (name, groups). */
    public void signInAs(Map<String, Object> claims) {
        person.set(Map.copyOf(claims));
    }

    /** Puts {@code nonce} (null: the request's own again) into the ID tokens the code exchange mints. */
    public void forgeNonce(String nonce) {
        forgedNonce.set(nonce);
    }

    /** How many authorization codes were presented at the token endpoint, good or not. */
    public int codeExchanges() {
        return codeExchanges.get();
    }

    private void discovery(HttpExchange exchange) throws IOException {
        String issuer = issuer();
        respond(exchange, 200, "{\"issuer\":\"" + issuer + "\",\"jwks_uri\":\"" + issuer + jwksPath + "\","
                + "\"token_endpoint\":\"" + issuer + "/oauth/token\","
                + "\"authorization_endpoint\":\"" + issuer + "/authorize\","
                + "\"grant_types_supported\":[\"client_credentials\",\"authorization_code\"],"
                + "\"response_types_supported\":[\"code\"],\"code_challenge_methods_supported\":[\"S256\"],"
                + "\"token_endpoint_auth_methods_supported\":[\"client_secret_basic\",\"client_secret_post\"],"
                + "\"id_token_signing_alg_values_supported\":[\"RS256\"]}");
    }

    /** OpenID Connect Core §3.1.2: checks the request, signs {@link #signInAs the person} in, redirects back with a code. */
    private void authorize(HttpExchange exchange) throws IOException {
        Map<String, String> query = form(exchange.getRequestURI().getRawQuery() == null ? "" : exchange.getRequestURI().getRawQuery());
        String clientId = query.getOrDefault("client_id", "");
        String redirect = query.get("redirect_uri");
        if (!clients.containsKey(clientId) || redirect == null || !"code".equals(query.get("response_type"))
                || !"S256".equals(query.get("code_challenge_method")) || query.get("code_challenge") == null
                || !query.getOrDefault("scope", "").contains("openid") || query.get("state") == null || query.get("nonce") == null) {
            respond(exchange, 400, "{\"error\":\"invalid_request\"}");
            return;
        }
        String code = "code-" + UUID.randomUUID();
        SuiteRecorder.token(code);
        codes.put(code, new PendingCode(clientId, redirect, query.get("code_challenge"), query.get("nonce"), person.get()));
        exchange.getResponseHeaders().set("Location", redirect + "?code=" + code + "&state="
                + java.net.URLEncoder.encode(query.get("state"), StandardCharsets.UTF_8));
        exchange.sendResponseHeaders(302, -1);
        exchange.close();
    }

    /** OpenID Connect Core §3.1.3: the code once, for its client, redirect URI and PKCE verifier; an ID token back. */
    private void exchangeCode(HttpExchange exchange, Map<String, String> form) throws IOException {
        codeExchanges.incrementAndGet();
        String clientId = form.get("client_id");
        String secret = form.get("client_secret");
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        if (authorization != null && authorization.startsWith("Basic ")) {
            String[] parts = new String(java.util.Base64.getDecoder().decode(authorization.substring(6)), StandardCharsets.UTF_8)
                    .split(":", 2);
            clientId = URLDecoder.decode(parts[0], StandardCharsets.UTF_8);
            secret = parts.length == 2 ? URLDecoder.decode(parts[1], StandardCharsets.UTF_8) : null;
        }
        if (clientId == null || secret == null || !secret.equals(clients.get(clientId))) {
            respond(exchange, 401, "{\"error\":\"invalid_client\"}");
            return;
        }
        PendingCode pending = codes.remove(form.getOrDefault("code", ""));
        String verifier = form.getOrDefault("code_verifier", "");
        String challenge;
        try {
            challenge = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                    java.security.MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        if (pending == null || !pending.clientId().equals(clientId) || !pending.redirectUri().equals(form.get("redirect_uri"))
                || !pending.challenge().equals(challenge)) {
            respond(exchange, 400, "{\"error\":\"invalid_grant\"}");
            return;
        }
        Instant now = Instant.now();
        String nonce = forgedNonce.get() == null ? pending.nonce() : forgedNonce.get();
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().issuer(issuer()).audience(clientId)
                .issueTime(Date.from(now)).expirationTime(Date.from(now.plus(Duration.ofMinutes(5)))).claim("nonce", nonce);
        pending.person().forEach(claims::claim);
        String idToken = sign(signingKey, claims.build());
        String accessToken = "provider-access-" + UUID.randomUUID();
        SuiteRecorder.token(accessToken);
        respond(exchange, 200, "{\"access_token\":\"" + accessToken + "\",\"token_type\":\"Bearer\",\"expires_in\":300,"
                + "\"id_token\":\"" + idToken + "\"}");
    }

    private void jwks(HttpExchange exchange) throws IOException {
        jwksFetches.incrementAndGet();
        List<JWK> publicKeys = new ArrayList<>();
        published.forEach(key -> publicKeys.add(key.toPublicJWK()));
        respond(exchange, 200, new JWKSet(publicKeys).toString());
    }

    /** RFC 6749 §4.4: the client-credentials grant, credentials in the form body (client_secret_post). */
    private void token(HttpExchange exchange) throws IOException {
        if (!exchange.getRequestMethod().equals("POST")) {
            respond(exchange, 405, "{\"error\":\"invalid_request\"}");
            return;
        }
        Map<String, String> form = form(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
        if ("authorization_code".equals(form.get("grant_type"))) {
            exchangeCode(exchange, form);
            return;
        }
        Agent agent = agents.get(form.getOrDefault("client_id", ""));
        if (!"client_credentials".equals(form.get("grant_type"))) {
            respond(exchange, 400, "{\"error\":\"unsupported_grant_type\"}");
            return;
        }
        if (agent == null || !agent.clientSecret().equals(form.get("client_secret"))) {
            respond(exchange, 401, "{\"error\":\"invalid_client\"}");
            return;
        }
        JWTClaimsSet.Builder claims = claims(String.valueOf(agent.claims().getOrDefault("agent_name", agent.clientId())))
                .subject("agent-" + agent.clientId()).claim("agent_id", "agent-" + agent.clientId());
        agent.claims().forEach(claims::claim);
        String jwt = sign(signingKey, claims.build());
        respond(exchange, 200, "{\"access_token\":\"" + jwt + "\",\"token_type\":\"Bearer\",\"expires_in\":600}");
    }

    private static Map<String, String> form(String body) {
        Map<String, String> form = new HashMap<>();
        for (String pair : body.split("&")) {
            int equals = pair.indexOf('=');
            if (equals > 0) {
                form.put(URLDecoder.decode(pair.substring(0, equals), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8));
            }
        }
        return form;
    }

    private static void respond(HttpExchange exchange, int status, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
