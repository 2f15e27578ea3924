package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyWar;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import java.io.StringReader;
import java.net.URL;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
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

/**
 * Which endpoints a token reaches (issue 15, S4 and S8): Files and Message Batches hold the whole
 * workspace's prompts and answers, so a token gets them only when its request names them; a token
 * that counts tokens cannot create a batch, whose usage the proxy could not count. Every refusal is
 * a 403 {@code permission_error} that never reaches the upstream.
 */
@ExtendWith(ArquillianExtension.class)
@Timeout(60)
class EndpointScopeIT {

    private static final FakeAnthropic UPSTREAM = FakeAnthropic.shared();
    private static final String BATCH = "{\"requests\":[{\"custom_id\":\"a\",\"params\":{\"model\":\"claude-haiku-4-5\","
            + "\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}}]}";

    @Deployment(testable = false)
    static WebArchive proxy() {
        return ProxyWar.withSettings("endpoint-scope.war", ProxyWar.standardSettings());
    }

    @ArquillianResource
    URL base;

    private ProxyHttp http;

    @BeforeEach
    void connect() {
        UPSTREAM.reset();
        http = new ProxyHttp(base);
    }

    private JsonObject issue(String agent, String fields) throws Exception {
        HttpResponse<String> response = http.requestToken("{\"ttl\":\"10m\",\"agent_name\":\"" + agent + "\""
                + (fields.isEmpty() ? "" : "," + fields) + "}");
        assertEquals(201, response.statusCode(), response.body());
        return Json.createReader(new StringReader(response.body())).readObject();
    }

    private HttpResponse<String> send(String token, String method, String path, String body) throws Exception {
        HttpRequest.Builder request = http.request(path).header("x-api-key", token).header("anthropic-version", "2023-06-01")
                .header("content-type", "application/json");
        return http.send(request.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private static void assertRefusedBeforeUpstream(HttpResponse<String> response, String... words) {
        assertEquals(403, response.statusCode(), response.body());
        assertTrue(response.body().contains("\"type\":\"permission_error\""), response.body());
        for (String word : words) {
            assertTrue(response.body().contains(word), response.body());
        }
        assertEquals("false", response.headers().firstValue("x-should-retry").orElse(null));
    }

    @Test
    void aTokenThatDoesNotAskForThemGetsNeitherFilesNorBatches() throws Exception {
        JsonObject issued = issue("plain", "");
        assertEquals(List.of("messages", "count_tokens", "models", "other"),
                issued.getJsonArray("endpoints").getValuesAs(JsonString::getString), issued.toString());
        String token = issued.getString("token");

        assertRefusedBeforeUpstream(send(token, "GET", "/v1/files?beta=true", null), "files");
        assertRefusedBeforeUpstream(send(token, "DELETE", "/v1/files/file_011CNha8iCJcU1wXNR6q4V8w", null), "files");
        assertRefusedBeforeUpstream(send(token, "GET", "/v1/messages/batches", null), "batches");
        assertRefusedBeforeUpstream(send(token, "POST", "/v1/messages/batches/msgbatch_01ts/cancel", ""), "batches");
        assertRefusedBeforeUpstream(send(token, "GET", "/v1/messages/batches/msgbatch_01ts/results", null), "batches");
        // Other spellings of the same endpoints are the same endpoints.
        assertRefusedBeforeUpstream(send(token, "GET", "/v1/messages/batches/", null), "batches");
        assertRefusedBeforeUpstream(send(token, "GET", "/v1//files", null), "files");
        assertRefusedBeforeUpstream(send(token, "GET", "/v1/./files/../files/file_1", null), "files");
        assertEquals(0, UPSTREAM.pendingRequests(), "no refused request reached the upstream");

        assertEquals(200, send(token, "GET", "/v1/models", null).statusCode(), "what the token may call still goes up");
        assertEquals("/v1/models", UPSTREAM.takeRequest().path());
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"GET,/v1/files", "GET,/v1/models", "POST,/v1/messages/count_tokens"})
    void aTokenIssuedForSomeEndpointsReachesOnlyThose(String method, String path) throws Exception {
        String token = issue("messages-only", "\"endpoints\":[\"messages\"]").getString("token");
        assertRefusedBeforeUpstream(send(token, method, path, method.equals("POST") ? "{}" : null), "messages");
        assertEquals(0, UPSTREAM.pendingRequests());
    }

    @Test
    void nullOpensEveryEndpointAndUnknownNamesAreRefusedAtIssuance() throws Exception {
        JsonObject open = issue("everything", "\"endpoints\":null");
        assertFalse(open.containsKey("endpoints"), "no list: every endpoint: " + open);
        send(open.getString("token"), "GET", "/v1/messages/batches", null);
        assertEquals("/v1/messages/batches", UPSTREAM.takeRequest().path(), "the listing went up");

        HttpResponse<String> typo = http.requestToken("{\"ttl\":\"10m\",\"endpoints\":[\"message\"]}");
        assertEquals(400, typo.statusCode(), typo.body());
        assertTrue(typo.body().contains("endpoints must be a list of endpoint names from messages, count_tokens"), typo.body());
    }

    @Test
    void aTokenThatCountsTokensMayUseBatchesButNotCreateThem() throws Exception {
        String token = issue("budgeted", "\"max_tokens_total\":1000,\"endpoints\":[\"messages\",\"batches\"]").getString("token");
        assertRefusedBeforeUpstream(send(token, "POST", "/v1/messages/batches", BATCH), "max_tokens_total");
        assertRefusedBeforeUpstream(send(token, "POST", "/v1/messages/batches/", BATCH), "max_tokens_total");
        assertEquals(0, UPSTREAM.pendingRequests(), "no batch was created upstream");

        HttpResponse<String> listed = send(token, "GET", "/v1/messages/batches", null);
        assertTrue(listed.statusCode() != 403, "listing counts no tokens: " + listed.body());
        assertEquals("/v1/messages/batches", UPSTREAM.takeRequest().path());

        String requestsOnly = issue("rpm-only", "\"rpm\":5,\"endpoints\":[\"batches\"]").getString("token");
        HttpResponse<String> created = send(requestsOnly, "POST", "/v1/messages/batches", BATCH);
        assertTrue(created.statusCode() != 403, "rpm counts the creating request itself: " + created.body());
        assertEquals("/v1/messages/batches", UPSTREAM.takeRequest().path());
    }
}
