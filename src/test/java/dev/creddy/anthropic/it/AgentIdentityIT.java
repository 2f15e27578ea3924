package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.FakeOidcProvider;
import dev.creddy.anthropic.it.support.LogCapture;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyWar;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.StringReader;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An agent with a Creddy identity gets its own proxy token without an operator: it fetches an identity
 * token from the provider's client-credentials endpoint, exchanges it at {@code POST /v1/tokens}, and
 * uses the {@code crd_} token with the official SDK. The token carries the verified identity into
 * listings and the audit trail; key rotation at the provider is picked up without a restart.
 */
@ExtendWith(ArquillianExtension.class)
@Timeout(60)
class AgentIdentityIT {

    private static final FakeAnthropic UPSTREAM = FakeAnthropic.shared();
    private static final FakeOidcProvider CREDDY = FakeOidcProvider.start();

    @Deployment(testable = false)
    static WebArchive proxy() {
        Map<String, String> settings = CREDDY.proxySettings();
        settings.put("oidc-policy", "{\"agent:limited\":{\"rpm\":30,\"models\":[\"claude-haiku\"]},"
                + "\"scope:anthropic:batch\":{\"tpm\":5000}}");
        return ProxyWar.withSettings("agent-identity.war", settings);
    }

    @AfterAll
    static void stopProvider() {
        CREDDY.close();
    }

    @ArquillianResource
    URL base;

    private ProxyHttp http;
    private LogCapture logs;

    @BeforeEach
    void connect() {
        UPSTREAM.reset();
        http = new ProxyHttp(base);
        logs = LogCapture.start();
    }

    @AfterEach
    void stopCapture() {
        logs.close();
    }

    private static JsonObject json(String body) {
        return Json.createReader(new StringReader(body)).readObject();
    }

    /** What an agent does first: client credentials for an identity token, at {@code <issuer>/oauth/token}. */
    private static String identityToken(FakeOidcProvider.Agent agent) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(CREDDY.issuer() + "/oauth/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials&client_id=" + agent.clientId()
                        + "&client_secret=" + agent.clientSecret()))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        assertEquals("Bearer", json(response.body()).getString("token_type"));
        return json(response.body()).getString("access_token");
    }

    private HttpResponse<String> exchange(String jwt, String body) throws Exception {
        return http.send(http.request("/v1/tokens").header("Authorization", "Bearer " + jwt)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private AnthropicClient sdk(String token) {
        return AnthropicOkHttpClient.builder().baseUrl(http.base()).apiKey(token).maxRetries(0)
                .timeout(Duration.ofSeconds(20)).build();
    }

    private static MessageCreateParams hello() {
        return MessageCreateParams.builder().model("claude-sonnet-4-5").maxTokens(16L).addUserMessage("Hi").build();
    }

    @Test
    void anAgentExchangesItsIdentityAndUsesTheTokenWithTheSdk() throws Exception {
        FakeOidcProvider.Agent researcher = CREDDY.register("researcher", Map.of("agent_name", "researcher",
                "scopes", List.of("anthropic:claude"), "task_id", "task-42", "parent_agent_id", "agent-orchestrator",
                "ip_restriction", "127.0.0.0/8"));
        String jwt = identityToken(researcher);

        HttpResponse<String> issued = exchange(jwt, "{}");
        assertEquals(201, issued.statusCode(), issued.body());
        JsonObject token = json(issued.body());
        assertEquals("researcher", token.getString("agent_name"));
        JsonObject identity = token.getJsonObject("identity");
        assertEquals(CREDDY.issuer(), identity.getString("issuer"));
        assertEquals("agent-researcher", identity.getString("subject"));
        assertEquals("task-42", identity.getString("task_id"));
        assertEquals("agent-orchestrator", identity.getString("parent_agent_id"));
        assertEquals(List.of("anthropic:claude"), identity.getJsonArray("scopes").getValuesAs(
                jakarta.json.JsonString::getString));
        assertEquals("127.0.0.0/8", identity.getString("ip_restriction"));
        assertFalse(issued.body().contains(jwt.substring(4)), "the identity token is never echoed");

        Message reply = sdk(token.getString("token")).messages().create(hello());
        assertEquals("msg_fake_01", reply.id());
        FakeAnthropic.Received upstream = UPSTREAM.takeRequest();
        assertEquals(ProxyWar.REAL_KEY, upstream.header("x-api-key"));
        assertFalse(upstream.headers().toString().contains(jwt.substring(4)), "the identity token stays at the proxy");

        // The listing and the token's own view carry the identity; the audit trail too.
        HttpResponse<String> listing = http.send(http.request("/v1/tokens?limit=1000")
                .header("Authorization", "Bearer " + ProxyWar.ISSUER_KEY).GET().build());
        JsonObject listed = json(listing.body()).getJsonArray("data").getValuesAs(JsonObject.class).stream()
                .filter(t -> t.getString("id").equals(token.getString("id"))).findFirst().orElseThrow();
        assertEquals(identity, listed.getJsonObject("identity"));
        HttpResponse<String> self = http.send(http.request("/v1/tokens/self").header("x-api-key", token.getString("token"))
                .GET().build());
        assertEquals(identity, json(self.body()).getJsonObject("identity"));

        logs.awaitAuditCount("forward", "/v1/messages", 200, 1);
        List<JsonObject> lines = logs.auditLines();
        JsonObject issuedLine = lines.stream().filter(l -> l.getString("event").equals("token_issued")).findFirst().orElseThrow();
        assertEquals("researcher", issuedLine.getString("agent"));
        assertEquals(identity, issuedLine.getJsonObject("identity"));
        JsonObject forwardLine = lines.stream().filter(l -> l.getString("event").equals("forward")).findFirst().orElseThrow();
        assertEquals(identity, forwardLine.getJsonObject("identity"));
        assertTrue(lines.stream().noneMatch(l -> l.toString().contains(jwt.substring(4))));
    }

    @Test
    void theTokenLivesNoLongerThanTheIdentityTokenNorTheMaximum() throws Exception {
        Instant exp = Instant.now().plus(Duration.ofMinutes(3)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        String jwt = CREDDY.mint("short-lived", c -> c.expirationTime(Date.from(exp)));
        JsonObject token = json(exchange(jwt, "{\"ttl\":\"1h\"}").body());
        assertFalse(Instant.parse(token.getString("expires_at")).isAfter(exp), token.toString());
        assertTrue(Instant.parse(token.getString("expires_at")).isAfter(exp.minusSeconds(10)), token.toString());

        JsonObject shorter = json(exchange(CREDDY.mint("short-lived", c -> c), "{\"ttl\":\"2m\"}").body());
        assertEquals("2m0s", shorter.getString("ttl"));

        HttpResponse<String> tooLong = exchange(CREDDY.mint("short-lived", c -> c), "{\"ttl\":\"48h\"}");
        assertEquals(400, tooLong.statusCode(), "max-ttl still applies");
    }

    @Test
    void theBodyCannotRenameTheAgent() throws Exception {
        String jwt = CREDDY.mint("reviewer", c -> c);
        HttpResponse<String> renamed = exchange(jwt, "{\"agent_name\":\"admin\"}");
        assertEquals(400, renamed.statusCode());
        assertEquals("false", renamed.headers().firstValue("x-should-retry").orElseThrow());
        assertTrue(renamed.body().contains("agent_name comes from your identity token"), renamed.body());

        HttpResponse<String> same = exchange(jwt, "{\"agent_name\":\"reviewer\"}");
        assertEquals(201, same.statusCode(), same.body());
    }

    @Test
    void theAgentNameFallsBackToTheSubject() throws Exception {
        String jwt = CREDDY.mint("ignored", c -> c.claim("agent_name", null).subject("svc-batch-7"));
        HttpResponse<String> issued = exchange(jwt, "");
        assertEquals(201, issued.statusCode(), issued.body());
        assertEquals("svc-batch-7", json(issued.body()).getString("agent_name"));
    }

    /** oidc-policy limits the agent's token; the agent cannot pick its own limits. */
    @Test
    void thePolicyLimitsTheExchangedTokenAndTheBodyCannotLiftIt() throws Exception {
        JsonObject limited = json(exchange(CREDDY.mint("limited", c -> c), "{}").body());
        assertEquals(30, limited.getInt("rpm"));
        assertEquals(List.of("claude-haiku"), limited.getJsonArray("models").getValuesAs(jakarta.json.JsonString::getString));
        com.anthropic.errors.PermissionDeniedException refused = org.junit.jupiter.api.Assertions.assertThrows(
                com.anthropic.errors.PermissionDeniedException.class,
                () -> sdk(limited.getString("token")).messages().create(hello()));
        assertTrue(refused.getMessage().contains("claude-sonnet-4-5"), refused.getMessage());
        assertEquals(0, UPSTREAM.pendingRequests(), "a model outside the policy never reaches the upstream");

        JsonObject batch = json(exchange(CREDDY.mint("batcher", c -> c.claim("scopes", List.of("anthropic:batch"))), "{}")
                .body());
        assertEquals(5000, batch.getInt("tpm"));
        assertFalse(batch.containsKey("rpm"), batch.toString());

        HttpResponse<String> lifted = exchange(CREDDY.mint("limited", c -> c), "{\"rpm\":null,\"tpm\":1000000}");
        assertEquals(400, lifted.statusCode());
        assertTrue(lifted.body().contains("oidc-policy"), lifted.body());
    }

    @Test
    void anIdentityTokenCanOnlyIssueForItself() throws Exception {
        String jwt = CREDDY.mint("curious", c -> c);
        HttpResponse<String> list = http.send(http.request("/v1/tokens").header("Authorization", "Bearer " + jwt).GET().build());
        assertEquals(403, list.statusCode());
        assertTrue(list.body().contains("permission_error"), list.body());

        String other = http.issue("someone-else", "10m").id();
        HttpResponse<String> revoke = http.send(http.request("/v1/tokens/" + other).header("Authorization", "Bearer " + jwt)
                .DELETE().build());
        assertEquals(401, revoke.statusCode(), "revoking takes the issuer key");
        assertEquals(200, http.send(http.request("/v1/tokens?limit=1000").header("Authorization", "Bearer "
                + ProxyWar.ISSUER_KEY).GET().build()).statusCode());
    }

    @Test
    void theIssuerKeyStillIssuesAsBefore() throws Exception {
        HttpResponse<String> issued = http.requestToken("{\"agent_name\":\"by-operator\",\"ttl\":\"5m\"}");
        assertEquals(201, issued.statusCode());
        assertFalse(json(issued.body()).containsKey("identity"), issued.body());
    }

    /** Direct use is off by default: an identity token on the forwarding path is just not a crd_ token. */
    @Test
    void withoutDirectUseAnIdentityTokenDoesNotForward() throws Exception {
        String jwt = CREDDY.mint("direct", c -> c);
        HttpResponse<String> refused = http.listModels(jwt);
        assertEquals(401, refused.statusCode());
        assertEquals("false", refused.headers().firstValue("x-should-retry").orElseThrow());
        assertTrue(refused.body().contains("\"authentication_error\""), refused.body());
        assertTrue(refused.body().contains("invalid token: it is unknown, expired or revoked"), refused.body());
        assertEquals(0, UPSTREAM.pendingRequests());
    }

    @Test
    void aRotatedKeyIsPickedUpWithoutARestart() throws Exception {
        assertEquals(201, exchange(CREDDY.mint("rotating", c -> c), "{}").statusCode());
        int fetchesBefore = CREDDY.jwksFetches();
        String oldKid = CREDDY.signingKey().getKeyID();

        String newKid = CREDDY.rotate().getKeyID();
        String jwt = CREDDY.mint("rotating", c -> c);
        assertTrue(jwt.length() > 0 && !newKid.equals(oldKid));
        HttpResponse<String> issued = exchange(jwt, "{}");
        assertEquals(201, issued.statusCode(), issued.body());
        assertEquals(fetchesBefore + 1, CREDDY.jwksFetches(), "one fetch for the unknown key id");

        sdk(json(issued.body()).getString("token")).messages().create(hello());
        assertEquals(ProxyWar.REAL_KEY, UPSTREAM.takeRequest().header("x-api-key"));
    }
}
