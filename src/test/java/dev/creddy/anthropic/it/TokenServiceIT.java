package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyWar;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.StringReader;
import java.net.URL;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** POST /v1/tokens: who may issue, what comes back, and what bad requests are told. */
@ExtendWith(ArquillianExtension.class)
@Timeout(60)
class TokenServiceIT {

    @Deployment(testable = false)
    static WebArchive proxy() {
        Map<String, String> settings = new HashMap<>(ProxyWar.standardSettings());
        settings.put("max-ttl", "2h");
        return ProxyWar.withSettings("tokens.war", settings);
    }

    @ArquillianResource
    URL base;

    private ProxyHttp http;

    @BeforeEach
    void connect() {
        FakeAnthropic.shared().reset();
        http = new ProxyHttp(base);
    }

    private static JsonObject json(String body) {
        return Json.createReader(new StringReader(body)).readObject();
    }

    @ParameterizedTest(name = "ttl {0} is echoed as {1}")
    @CsvSource({"1h, 1h0m0s", "30m, 30m0s", "90s, 1m30s", "1h30m, 1h30m0s", "2h, 2h0m0s", "1.5s, 1.5s"})
    void issuesATokenAndEchoesTheTtlTheWayGoPrintsIt(String ttl, String printed) throws Exception {
        Instant before = Instant.now().minusSeconds(1);
        HttpResponse<String> response = http.requestToken("{\"ttl\":\"" + ttl + "\",\"agent_name\":\"my-agent\"}");
        assertEquals(201, response.statusCode(), response.body());
        assertEquals("no-store", response.headers().firstValue("cache-control").orElseThrow());
        JsonObject token = json(response.body());
        assertTrue(token.getString("token").matches("crd_[A-Za-z0-9_-]{43}"), "256 random bits, URL-safe");
        assertTrue(token.getString("id").startsWith("tok_"));
        assertEquals("my-agent", token.getString("agent_name"));
        assertEquals(printed, token.getString("ttl"));
        Instant created = Instant.parse(token.getString("created_at"));
        Instant expires = Instant.parse(token.getString("expires_at"));
        assertFalse(created.isBefore(before.truncatedTo(java.time.temporal.ChronoUnit.SECONDS)));
        assertEquals(dev.creddy.anthropic.config.GoDuration.parse(ttl), Duration.between(created, expires));
    }

    @Test
    void defaultsToAnHourAndAnUnnamedAgent() throws Exception {
        HttpResponse<String> response = http.send(http.request("/v1/tokens")
                .header("Authorization", "Bearer " + ProxyWar.ISSUER_KEY)
                .POST(HttpRequest.BodyPublishers.noBody()).build());
        assertEquals(201, response.statusCode(), response.body());
        assertEquals("1h0m0s", json(response.body()).getString("ttl"));
        assertEquals("unnamed", json(response.body()).getString("agent_name"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "no credential||401|authentication_error",
            "wrong issuer key|Bearer nope|401|authentication_error",
            "issuer key as basic|Basic " + ProxyWar.ISSUER_KEY + "|401|authentication_error",
            "a crd token is not an issuer key|Bearer crd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA|401|authentication_error",
    })
    void onlyTheIssuerMayIssue(String name, String authorization, int status, String type) throws Exception {
        HttpRequest.Builder request = http.request("/v1/tokens").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"ttl\":\"1h\"}"));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        HttpResponse<String> response = http.send(request.build());
        assertEquals(status, response.statusCode());
        assertEquals(type, json(response.body()).getJsonObject("error").getString("type"));
        assertFalse(response.body().contains("crd_") && response.body().contains("\"token\""));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "{\"ttl\":\"3h\"}|longer than the maximum of 2h0m0s",
            "{\"ttl\":\"0\"}|longer than zero",
            "{\"ttl\":\"-5m\"}|longer than zero",
            "{\"ttl\":\"\"}|empty duration",
            "{\"ttl\":\"1d\"}|unknown unit",
            "{\"ttl\":\"soon\"}|invalid duration",
            "{\"ttl\":3600}|ttl must be a string",
            "{\"agent_name\":\"\"}|agent_name must not be empty",
            "{\"agent_name\":\"a\\nb\"}|must not contain control",
            "{\"agent_name\":42}|agent_name must be a string",
            "{\"tll\":\"1h\"}|unknown field",
            "[1,2]|must be a JSON object",
            "{\"ttl\":|not valid JSON",
            "not json|not valid JSON",
    })
    void badRequestsSayWhatToFix(String body, String message) throws Exception {
        HttpResponse<String> response = http.requestToken(body);
        assertEquals(400, response.statusCode(), response.body());
        JsonObject error = json(response.body()).getJsonObject("error");
        assertEquals("invalid_request_error", error.getString("type"));
        assertTrue(error.getString("message").contains(message), error.getString("message"));
    }

    /**
     * The original tool's example, {@code curl -d '{"ttl":"1h",…}'}: curl labels the JSON as a form.
     * With a bearer credential, which no cross-site form can carry, the JSON is read as JSON whatever
     * the label (the refusal under container credentials is in RoleIssuerIT).
     */
    @ParameterizedTest
    @ValueSource(strings = {"application/x-www-form-urlencoded", "text/plain", ""})
    void aBearerMaySendJsonUnderCurlsDefaultContentType(String type) throws Exception {
        HttpRequest.Builder request = http.request("/v1/tokens").header("Authorization", "Bearer " + ProxyWar.ISSUER_KEY)
                .POST(HttpRequest.BodyPublishers.ofString("{\"ttl\":\"1h\",\"agent_name\":\"my-agent\"}"));
        if (!type.isEmpty()) {
            request.header("Content-Type", type);
        }
        HttpResponse<String> response = http.send(request.build());
        assertEquals(201, response.statusCode(), response.body());
        assertEquals("my-agent", json(response.body()).getString("agent_name"));
    }

    @Test
    void aFormBodyIsStillNoTokenRequest() throws Exception {
        HttpResponse<String> response = http.send(http.request("/v1/tokens")
                .header("Authorization", "Bearer " + ProxyWar.ISSUER_KEY)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("ttl=1h&agent_name=my-agent")).build());
        assertEquals(400, response.statusCode());
        assertTrue(response.body().contains("not valid JSON"), response.body());
    }

    @Test
    void oversizedBodiesAre413() throws Exception {
        HttpResponse<String> response = http.requestToken("{\"agent_name\":\"" + "x".repeat(70_000) + "\"}");
        assertEquals(413, response.statusCode());
        assertEquals("request_too_large", json(response.body()).getJsonObject("error").getString("type"));
    }

    @Test
    void otherMethodsAre405WithAllow() throws Exception {
        HttpResponse<String> response = http.send(http.request("/v1/tokens")
                .header("Authorization", "Bearer " + ProxyWar.ISSUER_KEY).PUT(HttpRequest.BodyPublishers.noBody()).build());
        assertEquals(405, response.statusCode());
        assertEquals("GET, POST", response.headers().firstValue("allow").orElseThrow());
        assertTrue(response.body().startsWith("{\"type\":\"error\""));
        assertEquals(0, FakeAnthropic.shared().pendingRequests(), "token requests never reach the upstream");
    }
}
