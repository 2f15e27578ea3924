package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.HttpResponseFor;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.LogCapture;
import dev.creddy.anthropic.it.support.Poll;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyWar;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.URL;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * "Which agent did what, when": one JSON audit line per request and per token event, with the
 * fields the issue names, and the container's access log printing the agent and token id of each
 * request through the request attributes (a Tomcat {@code AccessLogValve} in the context, with the
 * pattern {@code tomcat-conf/server.xml.fragment} ships).
 */
@ExtendWith(ArquillianExtension.class)
@Timeout(60)
class AuditTrailIT {

    private static final Path ACCESS_LOG = accessLogDirectory().resolve("access.log");
    private static final Pattern TOKEN_ID = Pattern.compile("\"id\":\"(tok_[A-Za-z0-9_-]+)\"");
    private static final Set<String> FORWARD_FIELDS = Set.of("timestamp", "event", "exchange", "agent", "token_id", "client",
            "method", "path", "status", "outcome", "duration_ms", "upstream_request_id",
            // The fake's answer reports usage, so the line carries it.
            "input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens",
            // Issue 19: and its cost, priced with the built-in table (the fake answers claude-sonnet-4-5).
            "cost_usd");

    private static Path accessLogDirectory() {
        try {
            Path target = Path.of(System.getProperty("creddy.it.tomcat.base", "target/it-tomcat")).toAbsolutePath().getParent();
            return Files.createTempDirectory(Files.createDirectories(target.resolve("it-access-logs")), "audit-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Deployment(testable = false)
    static WebArchive proxy() {
        return ProxyWar.withSettings("audit-trail.war", ProxyWar.standardSettings(),
                "<Valve className=\"org.apache.catalina.valves.AccessLogValve\" directory=\"" + ACCESS_LOG.getParent()
                        + "\" prefix=\"access\" suffix=\".log\" rotatable=\"false\" buffered=\"false\""
                        + " pattern=\"%h %t &quot;%r&quot; %s %b %D agent=%{creddy.agent}r token_id=%{creddy.token_id}r\"/>");
    }

    @ArquillianResource
    URL base;

    private ProxyHttp http;
    private LogCapture logs;
    private int accessLinesBefore;

    @BeforeEach
    void start() throws IOException {
        FakeAnthropic.shared().reset();
        http = new ProxyHttp(base);
        logs = LogCapture.start();
        accessLinesBefore = accessLines().size();
    }

    @AfterEach
    void stop() {
        logs.close();
    }

    private static List<String> accessLines() throws IOException {
        return Files.exists(ACCESS_LOG) ? Files.readAllLines(ACCESS_LOG, StandardCharsets.UTF_8) : List.of();
    }

    /** Waits for the access log lines written since the test began that match, and returns them. */
    private List<String> newAccessLines(Predicate<String> matching, int expected) throws Exception {
        List<String> lines = Poll.until(Duration.ofSeconds(10), () -> {
            List<String> all = accessLines();
            return all.subList(Math.min(accessLinesBefore, all.size()), all.size()).stream().filter(matching).toList();
        }, found -> found.size() >= expected);
        assertEquals(expected, lines.size(), "access log lines in " + accessLines());
        return lines;
    }

    /** Waits for the audit lines of this test that match, parsed, and returns them. */
    private List<JsonObject> auditLines(Predicate<JsonObject> matching, int expected) throws Exception {
        List<JsonObject> lines = Poll.until(Duration.ofSeconds(10), () -> logs.messagesOf("creddy.audit").stream()
                .map(m -> Json.createReader(new StringReader(m)).readObject()).filter(matching).toList(),
                found -> found.size() >= expected);
        assertEquals(expected, lines.size(), "audit lines in " + logs.messagesOf("creddy.audit"));
        return lines;
    }

    private static void assertRecent(JsonObject line) {
        Instant at = Instant.parse(line.getString("timestamp"));
        assertTrue(Duration.between(at, Instant.now()).abs().toSeconds() < 60, "a timestamp of now: " + at);
    }

    private String issuedId(HttpResponse<String> issued) {
        Matcher id = TOKEN_ID.matcher(issued.body());
        assertTrue(id.find(), issued.body());
        return id.group(1);
    }

    private String tokenOf(HttpResponse<String> issued) {
        return issued.body().replaceAll(".*\"token\":\"(crd_[^\"]+)\".*", "$1");
    }

    @Test
    void aForwardedRequestLeavesOneAuditLineAndOneAccessLogLine() throws Exception {
        HttpResponse<String> issued = http.requestToken("{\"ttl\":\"5m\",\"agent_name\":\"auditor one\"}");
        String token = tokenOf(issued);
        String id = issuedId(issued);
        AnthropicClient client = AnthropicOkHttpClient.builder().baseUrl(http.base()).apiKey(token).maxRetries(0)
                .timeout(Duration.ofSeconds(30)).build();
        HttpResponseFor<Message> response = client.messages().withRawResponse().create(MessageCreateParams.builder()
                .model("claude-sonnet-4-5").maxTokens(16L).addUserMessage("Hi").build());
        String requestId = response.requestId().orElseThrow();
        response.parse();
        FakeAnthropic.shared().takeRequest();

        JsonObject line = auditLines(o -> o.getString("event").equals("forward"), 1).get(0);
        assertEquals(FORWARD_FIELDS, line.keySet(), "every field of a forwarded request, and no other: " + line);
        assertRecent(line);
        assertTrue(line.getString("exchange").matches("[0-9a-f]{16}"), line.toString());
        assertEquals("auditor one", line.getString("agent"));
        assertEquals(id, line.getString("token_id"));
        assertEquals("127.0.0.1", line.getString("client"));
        assertEquals("POST", line.getString("method"));
        assertEquals("/v1/messages", line.getString("path"));
        assertEquals(200, line.getInt("status"));
        assertEquals("completed", line.getString("outcome"));
        assertTrue(line.getJsonNumber("duration_ms").doubleValue() >= 0);
        assertEquals(requestId, line.getString("upstream_request_id"));

        String access = newAccessLines(l -> l.contains("\"POST " + base.getPath() + "v1/messages HTTP/1.1\""), 1).get(0);
        assertTrue(access.startsWith("127.0.0.1 "), access);
        assertTrue(access.contains(" 200 "), access);
        assertTrue(access.endsWith(" agent=auditor one token_id=" + id), access);
        assertFalse(access.contains(token.substring(4)), "the access log never holds the token");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"missing", "malformed", "conflicting", "unknown"})
    void aRefusedTokenIsAuditedWithItsReason(String reason) throws Exception {
        HttpRequest.Builder request = http.request("/v1/messages").header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}"));
        switch (reason) {
            case "missing" -> { }
            case "malformed" -> request.header("x-api-key", "sk-ant-api03-" + "A".repeat(40));
            case "conflicting" -> request.header("x-api-key", "crd_" + "A".repeat(43)).header("authorization",
                    "Bearer crd_" + "B".repeat(43));
            case "unknown" -> request.header("x-api-key", "crd_" + "C".repeat(43));
            default -> throw new IllegalArgumentException(reason);
        }
        assertEquals(401, http.send(request.build()).statusCode());

        JsonObject line = auditLines(o -> o.getString("event").equals("rejected"), 1).get(0);
        assertRecent(line);
        assertEquals(reason, line.getString("reason"));
        assertEquals(401, line.getInt("status"));
        assertEquals("authentication_error", line.getString("outcome"));
        assertEquals("/v1/messages", line.getString("path"));
        assertEquals("127.0.0.1", line.getString("client"));
        assertFalse(line.containsKey("agent") || line.containsKey("token_id") || line.containsKey("duration_ms"),
                "nothing is known of the caller, and nothing is made up: " + line);

        String access = newAccessLines(l -> l.contains("\"POST " + base.getPath() + "v1/messages HTTP/1.1\" 401"), 1).get(0);
        assertTrue(access.endsWith(" agent=- token_id=-"), access);
    }

    @Test
    void aRefusalOfAKnownCallerNamesItsAgent() throws Exception {
        HttpResponse<String> issued = http.requestToken("{\"ttl\":\"5m\",\"agent_name\":\"lost agent\"}");
        String id = issuedId(issued);
        HttpResponse<String> refused = http.send(http.request("/v1/").header("x-api-key", tokenOf(issued)).GET().build());
        assertEquals(404, refused.statusCode(), refused.body());

        JsonObject line = auditLines(o -> o.getString("event").equals("rejected"), 1).get(0);
        assertEquals("not_forwardable", line.getString("reason"));
        assertEquals("lost agent", line.getString("agent"));
        assertEquals(id, line.getString("token_id"));
        assertEquals(404, line.getInt("status"));
        String access = newAccessLines(l -> l.contains("\"GET " + base.getPath() + "v1/ HTTP/1.1\" 404"), 1).get(0);
        assertTrue(access.endsWith(" agent=lost agent token_id=" + id), access);
    }

    @Test
    void tokenEventsAreAudited() throws Exception {
        HttpResponse<String> returned = http.requestToken("{\"ttl\":\"5m\",\"agent_name\":\"returner\"}");
        HttpResponse<String> revoked = http.requestToken("{\"ttl\":\"5m\",\"agent_name\":\"revokee\"}");
        String returnedId = issuedId(returned);
        String revokedId = issuedId(revoked);
        assertEquals(204, http.send(http.request("/v1/tokens/self").header("x-api-key", tokenOf(returned)).DELETE().build())
                .statusCode());
        assertEquals(204, http.send(http.request("/v1/tokens/" + revokedId)
                .header("Authorization", "Bearer " + ProxyWar.ISSUER_KEY).DELETE().build()).statusCode());
        assertEquals(401, http.send(http.request("/v1/tokens/self").header("x-api-key", tokenOf(returned)).GET().build())
                .statusCode());

        List<JsonObject> lines = auditLines(o -> true, 5);
        List<String> events = lines.stream().map(o -> o.getString("event")).toList();
        assertEquals(List.of("token_issued", "token_issued", "token_returned", "token_revoked", "rejected"), events);
        assertEquals("returner", lines.get(0).getString("agent"));
        assertEquals(returnedId, lines.get(0).getString("token_id"));
        assertEquals(201, lines.get(0).getInt("status"));
        assertEquals("POST", lines.get(0).getString("method"));
        assertEquals("/v1/tokens", lines.get(0).getString("path"));
        assertFalse(lines.get(0).containsKey("duration_ms"), "no duration is made up for a token event");
        assertEquals(returnedId, lines.get(2).getString("token_id"));
        assertEquals("returner", lines.get(2).getString("agent"));
        assertEquals(revokedId, lines.get(3).getString("token_id"));
        assertEquals("revokee", lines.get(3).getString("agent"), "a revocation names the revoked token's agent");
        assertEquals(204, lines.get(3).getInt("status"));
        assertEquals("unknown", lines.get(4).getString("reason"));
        assertEquals("/v1/tokens/self", lines.get(4).getString("path"));
        lines.forEach(AuditTrailIT::assertRecent);

        String access = newAccessLines(l -> l.contains("\"DELETE " + base.getPath() + "v1/tokens/self HTTP/1.1\" 204"), 1).get(0);
        assertTrue(access.endsWith(" agent=returner token_id=" + returnedId), access);
    }
}
