package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.errors.UnauthorizedException;
import com.anthropic.models.messages.MessageCreateParams;
import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyWar;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.io.StringReader;
import java.net.URL;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
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

/** Listing, revoking and giving back tokens: a revoked token dies on the very next request. */
@ExtendWith(ArquillianExtension.class)
@Timeout(60)
class TokenLifecycleIT {

    private static final FakeAnthropic UPSTREAM = FakeAnthropic.shared();

    @Deployment(testable = false)
    static WebArchive proxy() {
        return ProxyWar.withSettings("lifecycle.war", ProxyWar.standardSettings());
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

    private HttpResponse<String> asIssuer(String method, String path) throws Exception {
        return http.send(http.request(path).header("Authorization", "Bearer " + ProxyWar.ISSUER_KEY)
                .method(method, HttpRequest.BodyPublishers.noBody()).build());
    }

    private AnthropicClient sdk(String token) {
        return AnthropicOkHttpClient.builder().baseUrl(http.base()).apiKey(token).maxRetries(0)
                .timeout(Duration.ofSeconds(20)).build();
    }

    private static MessageCreateParams hello() {
        return MessageCreateParams.builder().model("claude-sonnet-4-5").maxTokens(16L).addUserMessage("Hi").build();
    }

    private static String idOf(HttpResponse<String> issued) {
        return json(issued.body()).getString("id");
    }

    @Test
    void listsLiveTokensPageByPageWithoutSecrets() throws Exception {
        Set<String> issuedIds = new HashSet<>();
        List<String> secrets = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> issued = http.requestToken("{\"ttl\":\"10m\",\"agent_name\":\"lister-" + i + "\"}");
            issuedIds.add(idOf(issued));
            secrets.add(json(issued.body()).getString("token"));
        }
        Set<String> listed = new HashSet<>();
        String after = "";
        int pages = 0;
        boolean hasMore = true;
        while (hasMore) {
            HttpResponse<String> page = asIssuer("GET", "/v1/tokens?limit=2" + (after.isEmpty() ? "" : "&after=" + after));
            assertEquals(200, page.statusCode(), page.body());
            for (String secret : secrets) {
                assertFalse(page.body().contains(secret.substring(4)), "a listing never shows a secret");
            }
            JsonObject body = json(page.body());
            assertTrue(body.getJsonArray("data").size() <= 2);
            for (JsonValue entry : body.getJsonArray("data")) {
                JsonObject token = entry.asJsonObject();
                assertTrue(listed.add(token.getString("id")), "no token is listed twice");
                assertFalse(token.containsKey("token"));
                assertTrue(token.containsKey("agent_name") && token.containsKey("created_at") && token.containsKey("expires_at"));
            }
            hasMore = body.getBoolean("has_more");
            after = body.isNull("last_id") ? "" : body.getString("last_id");
            pages++;
        }
        assertTrue(listed.containsAll(issuedIds), "every live token is listed");
        assertTrue(pages >= 3, "five tokens take at least three pages of two");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "/v1/tokens?limit=0|limit must be a whole number from 1 to 1000",
            "/v1/tokens?limit=1001|limit must be a whole number from 1 to 1000",
            "/v1/tokens?limit=ten|limit must be a whole number",
            "/v1/tokens?after=crd_secret|after must be a token id",
    })
    void badListingParametersAre400(String path, String message) throws Exception {
        HttpResponse<String> response = asIssuer("GET", path);
        assertEquals(400, response.statusCode());
        assertTrue(json(response.body()).getJsonObject("error").getString("message").contains(message), response.body());
    }

    @Test
    void aRevokedTokenIsRefusedFromTheVeryNextRequest() throws Exception {
        HttpResponse<String> issued = http.requestToken("{\"ttl\":\"10m\",\"agent_name\":\"to-revoke\"}");
        String token = json(issued.body()).getString("token");
        AnthropicClient client = sdk(token);
        client.messages().create(hello());
        UPSTREAM.takeRequest();

        assertEquals(204, asIssuer("DELETE", "/v1/tokens/" + idOf(issued)).statusCode());
        assertThrows(UnauthorizedException.class, () -> client.messages().create(hello()));
        assertThrows(UnauthorizedException.class, () -> {
            try (var stream = client.messages().createStreaming(hello())) {
                stream.stream().count();
            }
        }, "streams that start afterwards are refused too");
        assertEquals(0, UPSTREAM.pendingRequests());
        assertEquals(404, asIssuer("DELETE", "/v1/tokens/" + idOf(issued)).statusCode(), "revoked only once");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "DELETE|/v1/tokens/tok_AAAAAAAAAAAAAAAA|404",
            "DELETE|/v1/tokens/not-an-id|404",
            "DELETE|/v1/tokens/|404",
            "GET|/v1/tokens/tok_AAAAAAAAAAAAAAAA|405",
            "PUT|/v1/tokens/self|405",
            "PATCH|/v1/tokens|405",
            "DELETE|/v1/tokens|405",
    })
    void unknownTokensAndWrongMethods(String method, String path, int status) throws Exception {
        HttpResponse<String> response = asIssuer(method, path);
        assertEquals(status, response.statusCode(), response.body());
        assertTrue(response.body().startsWith("{\"type\":\"error\""), response.body());
        if (status == 405) {
            assertTrue(response.headers().firstValue("allow").isPresent());
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"GET, /v1/tokens", "DELETE, /v1/tokens/tok_AAAAAAAAAAAAAAAA"})
    void managementNeedsTheIssuerKey(String method, String path) throws Exception {
        HttpResponse<String> response = http.send(http.request(path).header("Authorization", "Bearer wrong")
                .method(method, HttpRequest.BodyPublishers.noBody()).build());
        assertEquals(401, response.statusCode());
    }

    @Test
    void anAgentCanSeeAndGiveBackItsOwnToken() throws Exception {
        HttpResponse<String> issued = http.requestToken("{\"ttl\":\"10m\",\"agent_name\":\"returner\"}");
        String token = json(issued.body()).getString("token");

        HttpResponse<String> self = http.send(http.request("/v1/tokens/self").header("x-api-key", token).GET().build());
        assertEquals(200, self.statusCode());
        assertEquals("returner", json(self.body()).getString("agent_name"));
        assertEquals(idOf(issued), json(self.body()).getString("id"));
        assertFalse(self.body().contains(token.substring(4)));

        HttpResponse<String> returned = http.send(http.request("/v1/tokens/self")
                .header("Authorization", "Bearer " + token).DELETE().build());
        assertEquals(204, returned.statusCode());
        assertThrows(UnauthorizedException.class, () -> sdk(token).messages().create(hello()));
        HttpResponse<String> again = http.send(http.request("/v1/tokens/self").header("x-api-key", token).DELETE().build());
        assertEquals(401, again.statusCode());
        assertEquals(0, UPSTREAM.pendingRequests());
    }
}
