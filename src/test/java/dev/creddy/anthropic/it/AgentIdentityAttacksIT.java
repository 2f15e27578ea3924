package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.models.messages.MessageCreateParams;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.FakeOidcProvider;
import dev.creddy.anthropic.it.support.LogCapture;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyWar;
import dev.creddy.anthropic.it.support.SuiteRecorder;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.StringReader;
import java.net.URL;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Identity tokens that must not get anywhere, against a proxy that also accepts identity tokens
 * directly ({@code oidc-direct-use=true}): each is refused at {@code POST /v1/tokens} and on the
 * forwarding path with the right status and error type, {@code x-should-retry: false}, a message
 * that does not quote it, and nothing reaching the upstream.
 */
@ExtendWith(ArquillianExtension.class)
@Timeout(60)
class AgentIdentityAttacksIT {

    private static final FakeAnthropic UPSTREAM = FakeAnthropic.shared();
    private static final FakeOidcProvider CREDDY = FakeOidcProvider.start();

    @Deployment(testable = false)
    static WebArchive proxy() {
        Map<String, String> settings = CREDDY.proxySettings();
        settings.put("oidc-direct-use", "true");
        return ProxyWar.withSettings("agent-identity-attacks.war", settings);
    }

    @AfterAll
    static void stopProvider() {
        CREDDY.close();
    }

    @ArquillianResource
    URL base;

    private ProxyHttp http;

    @BeforeEach
    void connect() {
        UPSTREAM.reset();
        http = new ProxyHttp(base);
    }

    private static JsonObject json(String body) {
        return Json.createReader(new StringReader(body)).readObject();
    }

    private static String minted(java.util.function.UnaryOperator<JWTClaimsSet.Builder> adjust) {
        return CREDDY.mint("mallory", adjust);
    }

    private static Date inMinutes(long minutes) {
        return Date.from(Instant.now().plus(Duration.ofMinutes(minutes)));
    }

    /** An unsigned token: {@code alg: none} and an empty signature. */
    private static String unsigned() {
        String header = Base64URL.encode("{\"alg\":\"none\",\"typ\":\"JWT\"}").toString();
        String payload = CREDDY.claims("mallory").build().toPayload().toBase64URL().toString();
        return record(header + "." + payload + ".");
    }

    /** The classic confusion: HMAC-SHA256 keyed with the issuer's public RSA key, under its key id. */
    private static String hmacWithThePublicKey() {
        try {
            byte[] publicKey = CREDDY.signingKey().toRSAPublicKey().getEncoded();
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(CREDDY.signingKey().getKeyID()).build(),
                    CREDDY.claims("mallory").build());
            jwt.sign(new MACSigner(publicKey));
            return record(jwt.serialize());
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A genuine token whose payload is swapped for one that names another agent, signature kept. */
    private static String tamperedPayload() {
        String[] parts = CREDDY.mint("mallory", c -> c).split("\\.");
        String payload = CREDDY.claims("admin").build().toPayload().toBase64URL().toString();
        return record(parts[0] + "." + payload + "." + parts[2]);
    }

    /** Signed with a key the issuer never published, under the published key id. */
    private static String forgedUnderThePublishedKeyId() {
        var rogue = new com.nimbusds.jose.jwk.RSAKey.Builder(FakeOidcProvider.newKey())
                .keyID(CREDDY.signingKey().getKeyID()).build();
        return FakeOidcProvider.sign(rogue, CREDDY.claims("mallory").build());
    }

    private static String record(String jwt) {
        SuiteRecorder.token(jwt);
        return jwt;
    }

    /** An attack, the status and error type it gets, and words of the message that prove which check caught it. */
    private static Arguments attack(String name, Supplier<String> jwt, int status, String type, String because) {
        return Arguments.of(name, jwt, status, type, because);
    }

    static Stream<Arguments> attacks() {
        return Stream.of(
                attack("forged signature (unpublished key, published kid)", AgentIdentityAttacksIT::forgedUnderThePublishedKeyId,
                        401, "authentication_error", "its signature does not verify"),
                attack("tampered payload", AgentIdentityAttacksIT::tamperedPayload,
                        401, "authentication_error", "its signature does not verify"),
                attack("alg none", AgentIdentityAttacksIT::unsigned, 401, "authentication_error", "it is not signed"),
                attack("HS256 keyed with the RSA public key", AgentIdentityAttacksIT::hmacWithThePublicKey, 401,
                        "authentication_error", "algorithm other than RS256 or ES256"),
                attack("unknown kid from an unknown key", () -> FakeOidcProvider.sign(FakeOidcProvider.newKey(),
                        CREDDY.claims("mallory").build()), 401, "authentication_error", "key its issuer does not publish"),
                attack("expired", () -> minted(c -> c.issueTime(inMinutes(-20)).notBeforeTime(inMinutes(-20))
                        .expirationTime(inMinutes(-5))), 401, "authentication_error", "it has expired (exp)"),
                attack("not yet valid", () -> minted(c -> c.notBeforeTime(inMinutes(5))),
                        401, "authentication_error", "not valid yet (nbf)"),
                attack("issued in the future", () -> minted(c -> c.issueTime(inMinutes(5))),
                        401, "authentication_error", "issued in the future (iat)"),
                attack("wrong iss", () -> minted(c -> c.issuer("https://evil.example")),
                        401, "authentication_error", "not issued by an issuer this proxy trusts"),
                attack("iss with a trailing slash", () -> minted(c -> c.issuer(CREDDY.issuer() + "/")), 401,
                        "authentication_error", "not issued by an issuer this proxy trusts"),
                attack("no iss", () -> minted(c -> c.issuer(null)),
                        401, "authentication_error", "not issued by an issuer this proxy trusts"),
                attack("wrong aud", () -> minted(c -> c.audience("another-service")),
                        401, "authentication_error", "not meant for this proxy (aud)"),
                attack("no aud", () -> minted(c -> c.audience((String) null)),
                        401, "authentication_error", "not meant for this proxy (aud)"),
                attack("no exp", () -> minted(c -> c.expirationTime(null)),
                        401, "authentication_error", "lacks a required claim"),
                attack("not a JWT inside", () -> "eyJhbGciOiJSUzI1NiJ9.eyJub3QganNvbg.c2ln",
                        401, "authentication_error", "claims are not a JSON object"),
                attack("missing scope", () -> minted(c -> c.claim("scopes", List.of("openai", "read"))), 403,
                        "permission_error", "does not grant the scope \"anthropic\""),
                attack("look-alike scope", () -> minted(c -> c.claim("scopes", List.of("anthropic-admin", "anthropicx"))), 403,
                        "permission_error", "does not grant the scope \"anthropic\""),
                attack("no scopes claim", () -> minted(c -> c.claim("scopes", null)),
                        403, "permission_error", "does not grant the scope \"anthropic\""),
                attack("ip_restriction mismatch (10.0.0.0/8)", () -> minted(c -> c.claim("ip_restriction", "10.0.0.0/8")), 403,
                        "permission_error", "may be used only from 10.0.0.0/8"),
                attack("malformed ip_restriction", () -> minted(c -> c.claim("ip_restriction", "10.0.0.0/33")), 403,
                        "permission_error", "ip_restriction claim cannot be honoured"),
                attack("ip_restriction naming a host", () -> minted(c -> c.claim("ip_restriction", "localhost")), 403,
                        "permission_error", "ip_restriction claim cannot be honoured"),
                attack("agent name with a line break", () -> minted(c -> c.claim("agent_name", "ok\n{\"event\":\"forged\"}")),
                        403, "permission_error", "must not contain control"));
    }

    private static void refusedAsExpected(HttpResponse<String> response, String jwt, int status, String type,
            String because) {
        assertEquals(status, response.statusCode(), response.body());
        assertTrue(json(response.body()).getJsonObject("error").getString("message").contains(because), response.body());
        assertEquals("false", response.headers().firstValue("x-should-retry").orElseThrow(), "a retry cannot help");
        assertEquals(type, json(response.body()).getJsonObject("error").getString("type"), response.body());
        assertFalse(response.body().contains(jwt.substring(4)), "the message never quotes the token");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("attacks")
    void refusedAtExchangeAndWhenUsedDirectly(String name, Supplier<String> attack, int status, String type, String because)
            throws Exception {
        String jwt = attack.get();
        LogCapture logs = LogCapture.start();
        try {
            HttpResponse<String> exchanged = http.send(http.request("/v1/tokens").header("Authorization", "Bearer " + jwt)
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build());
            refusedAsExpected(exchanged, jwt, status, type, because);

            HttpResponse<String> forwarded = http.send(http.request("/v1/messages").header("x-api-key", jwt)
                    .header("anthropic-version", "2023-06-01").header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":8,"
                            + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}", StandardCharsets.UTF_8)).build());
            refusedAsExpected(forwarded, jwt, status, type, because);
            assertEquals(0, UPSTREAM.pendingRequests(), "nothing reached the upstream");

            logs.awaitAuditCount("rejected", "/v1/messages", status, 1);
            assertTrue(logs.texts().stream().noneMatch(line -> line.contains(jwt.substring(4))), "never logged");
        } finally {
            logs.close();
        }
    }

    @Test
    void aGenuineIdentityTokenWorksDirectlyWithTheSdk() throws Exception {
        String jwt = CREDDY.mint("direct-agent", c -> c.claim("ip_restriction", "127.0.0.0/8").claim("task_id", "t-9"));
        LogCapture logs = LogCapture.start();
        try {
            AnthropicClient sdk = AnthropicOkHttpClient.builder().baseUrl(http.base()).apiKey(jwt).maxRetries(0)
                    .timeout(Duration.ofSeconds(20)).build();
            MessageCreateParams hello = MessageCreateParams.builder().model("claude-sonnet-4-5").maxTokens(16L)
                    .addUserMessage("Hi").build();
            sdk.messages().create(hello);
            sdk.messages().create(hello);
            FakeAnthropic.Received upstream = UPSTREAM.takeRequest();
            assertEquals(ProxyWar.REAL_KEY, upstream.header("x-api-key"));
            assertFalse(upstream.headers().toString().contains(jwt.substring(4)));
            UPSTREAM.takeRequest();

            logs.awaitAuditCount("forward", "/v1/messages", 200, 2);
            List<JsonObject> forwards = logs.auditLines().stream().filter(l -> l.getString("event").equals("forward")).toList();
            assertEquals(2, forwards.size());
            String id = forwards.get(0).getString("token_id");
            assertTrue(id.matches("tok_[A-Za-z0-9_-]{16}"), id);
            assertEquals(id, forwards.get(1).getString("token_id"), "the same identity token, the same id");
            assertEquals("direct-agent", forwards.get(0).getString("agent"));
            assertEquals("t-9", forwards.get(0).getJsonObject("identity").getString("task_id"));
            assertEquals(CREDDY.issuer(), forwards.get(0).getJsonObject("identity").getString("issuer"));
        } finally {
            logs.close();
        }

        HttpResponse<String> self = http.send(http.request("/v1/tokens/self").header("x-api-key", jwt).GET().build());
        assertEquals(200, self.statusCode(), self.body());
        assertEquals("direct-agent", json(self.body()).getString("agent_name"));
        HttpResponse<String> giveBack = http.send(http.request("/v1/tokens/self").header("x-api-key", jwt).DELETE().build());
        assertEquals(400, giveBack.statusCode(), giveBack.body());
    }

    @Test
    void crdTokensStillWorkBesideDirectUse() throws Exception {
        assertEquals(200, http.listModels(http.issueToken("classic", "5m")).statusCode());
    }
}
