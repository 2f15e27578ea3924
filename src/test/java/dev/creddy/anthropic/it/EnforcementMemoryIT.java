package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.HeldUpstream;
import dev.creddy.anthropic.it.support.LogCapture;
import dev.creddy.anthropic.it.support.Poll;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyWar;
import dev.creddy.anthropic.it.support.SseClient;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.StringReader;
import java.net.URL;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Enforcement that reaches running streams on one instance with the memory store: a revocation
 * ends the token's stream at once with an SSE {@code error} event and cancels the upstream side, and
 * under {@code budget-enforcement=strict} a stream that takes its token over {@code max_tokens_total}
 * is ended the same way.
 */
@ExtendWith(ArquillianExtension.class)
@Timeout(120)
class EnforcementMemoryIT {

    private static final Duration BOUND = Duration.ofSeconds(5);
    private static final FakeAnthropic UPSTREAM = FakeAnthropic.shared();

    @Deployment(testable = false)
    static WebArchive deployment() {
        Map<String, String> settings = new HashMap<>(ProxyWar.standardSettings());
        settings.put("budget-enforcement", "strict");
        return ProxyWar.withSettings("enforce-memory.war", settings);
    }

    @ArquillianResource
    URL url;

    private ProxyHttp proxy;
    private LogCapture logs;

    @BeforeEach
    void connect() {
        UPSTREAM.reset();
        proxy = new ProxyHttp(url);
        logs = LogCapture.start();
    }

    @AfterEach
    void reset() {
        logs.close();
        UPSTREAM.reset();
    }

    /** The outcome of the forward audit line of {@code agent}'s exchange, once it is there. */
    private String auditedOutcome(String agent) throws Exception {
        List<JsonObject> lines = Poll.until(Duration.ofSeconds(10), () -> logs.auditLines().stream()
                .filter(line -> "forward".equals(line.getString("event", "")) && agent.equals(line.getString("agent", "")))
                .toList(), found -> !found.isEmpty());
        assertEquals(1, lines.size(), lines.toString());
        return lines.get(0).getString("outcome");
    }

    private JsonObject issue(String body) throws Exception {
        HttpResponse<String> issued = proxy.requestToken(body);
        assertEquals(201, issued.statusCode(), issued.body());
        return Json.createReader(new StringReader(issued.body())).readObject();
    }

    @Test
    void aRevokedTokensStreamEndsWithAnErrorEventAndTheUpstreamIsCancelled() throws Exception {
        HeldUpstream upstream = new HeldUpstream(Duration.ZERO, 12);
        UPSTREAM.respondWith(upstream);
        JsonObject token = issue("{\"ttl\":\"10m\",\"agent_name\":\"revoked-here\"}");
        try (SseClient stream = SseClient.open(proxy.base(), token.getString("token"), HeldUpstream.streamBody())) {
            assertEquals(200, stream.status());
            assertNotNull(stream.awaitLine("event: content_block_delta", Duration.ofSeconds(10)));
            assertEquals(204, proxy.revoke(token.getString("id")).statusCode());
            assertNotNull(stream.awaitLine("event: error", BOUND), "an error event: " + stream.seen());
            String data = stream.awaitLine("data: ", Duration.ofSeconds(1));
            assertTrue(data != null && data.contains("\"type\":\"authentication_error\"") && data.contains("revoked"), data);
            assertTrue(stream.awaitEnd(Duration.ofSeconds(5)), "the stream ended after the error event");
            assertTrue(upstream.awaitCutOff(Duration.ofSeconds(10)), "the upstream saw its side cancelled");
        }
        assertEquals("revoked", auditedOutcome("revoked-here"));
    }

    @Test
    void strictBudgetsEndAStreamThatGoesOverIt() throws Exception {
        // message_start alone reports 500 input tokens: over the 100 the token has.
        HeldUpstream upstream = new HeldUpstream(Duration.ZERO, 500);
        UPSTREAM.respondWith(upstream);
        JsonObject token = issue("{\"ttl\":\"10m\",\"agent_name\":\"over-budget\",\"max_tokens_total\":100}");
        try (SseClient stream = SseClient.open(proxy.base(), token.getString("token"), HeldUpstream.streamBody())) {
            assertEquals(200, stream.status());
            assertNotNull(stream.awaitLine("event: error", BOUND), "an error event: " + stream.seen());
            String data = stream.awaitLine("data: ", Duration.ofSeconds(1));
            assertTrue(data != null && data.contains("\"type\":\"rate_limit_error\"") && data.contains("budget-enforcement=strict"),
                    data);
            assertTrue(stream.awaitEnd(Duration.ofSeconds(5)), "the stream ended after the error event");
            assertTrue(upstream.awaitCutOff(Duration.ofSeconds(10)), "the upstream saw its side cancelled");
        }
        assertEquals("budget_exceeded", auditedOutcome("over-budget"));
        HttpResponse<String> spent = proxy.listModels(token.getString("token"));
        assertEquals(429, spent.statusCode(), "what the cut stream used was charged: " + spent.body());
    }

    @Test
    void aStreamWithinItsBudgetIsLeftAlone() throws Exception {
        JsonObject token = issue("{\"ttl\":\"10m\",\"agent_name\":\"within-budget\",\"max_tokens_total\":100000}");
        try (SseClient stream = SseClient.open(proxy.base(), token.getString("token"), HeldUpstream.streamBody())) {
            assertEquals(200, stream.status());
            assertNotNull(stream.awaitLine("event: message_stop", Duration.ofSeconds(10)), "the standard stream finished: "
                    + stream.seen());
            assertTrue(stream.seen().stream().noneMatch(line -> line.equals("event: error")), stream.seen().toString());
        }
    }
}
