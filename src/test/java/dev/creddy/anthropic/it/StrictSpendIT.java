package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.LogCapture;
import dev.creddy.anthropic.it.support.Poll;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyWar;
import dev.creddy.anthropic.it.support.SseClient;
import dev.creddy.anthropic.it.support.Wire;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringReader;
import java.math.BigDecimal;
import java.net.URL;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.OperateOnDeployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 19, {@code budget-enforcement=strict} for dollar budgets: a stream whose cost crosses its
 * token's {@code max_cost_usd} (or its agent's {@code agent-budgets} entry) mid-stream is ended with an
 * SSE {@code error} event in Anthropic's shape, the upstream side is cancelled and the audit line says
 * {@code budget_exceeded}; under the default {@code lenient} the same stream finishes.
 *
 * <p>The fake stream (Sonnet 4.5: 3 µ$ in, 15 µ$ out per token) starts at 100 input tokens and 1 output
 * token, 315 µ$, under the $0.01 budgets; a {@code message_delta} part way through then reports 1000
 * output tokens, 300 + 15000 = 15300 µ$, over them; more text follows, then the last
 * {@code message_delta} and {@code message_stop}.
 */
@ExtendWith(ArquillianExtension.class)
@Timeout(120)
class StrictSpendIT {

    private static final FakeAnthropic UPSTREAM = FakeAnthropic.shared();
    private static final String BODY = "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":2000,\"stream\":true,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";

    @Deployment(name = "strict", order = 1, testable = false)
    static WebArchive strict() {
        Map<String, String> settings = new HashMap<>(ProxyWar.standardSettings());
        settings.put("budget-enforcement", "strict");
        settings.put("agent-budgets", "{\"strict-agent\":{\"usd_per_day\":0.01}}");
        return ProxyWar.withSettings("strict-spend.war", settings);
    }

    @Deployment(name = "lenient", order = 2, testable = false)
    static WebArchive lenient() {
        return ProxyWar.withSettings("lenient-spend.war", new HashMap<>(ProxyWar.standardSettings()));
    }

    @ArquillianResource
    @OperateOnDeployment("strict")
    URL strictUrl;

    @ArquillianResource
    @OperateOnDeployment("lenient")
    URL lenientUrl;

    private LogCapture logs;

    @BeforeEach
    void capture() {
        UPSTREAM.reset();
        logs = LogCapture.start();
    }

    @AfterEach
    void release() {
        logs.close();
        UPSTREAM.reset();
    }

    /** The stream described in the class comment, with {@code after} text deltas (100 ms apart) after the crossing. */
    private static final class CrossingStream implements FakeAnthropic.Responder {
        private final int after;
        final CountDownLatch cutOff = new CountDownLatch(1);

        CrossingStream(int after) {
            this.after = after;
        }

        @Override
        public void respond(FakeAnthropic.Received request, HttpExchange exchange) throws IOException {
            exchange.getResponseHeaders().set("content-type", "text/event-stream; charset=utf-8");
            exchange.getResponseHeaders().set("request-id", UPSTREAM.nextRequestId());
            exchange.sendResponseHeaders(200, 0);
            OutputStream out = exchange.getResponseBody();
            List<Wire.Event> events = Wire.eventsWithUsage(100, 0, 0, 1000, "Hello");
            try {
                out.write(events.get(0).bytes());
                out.write(events.get(1).bytes());
                out.flush();
                out.write(new Wire.Event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":null,"
                        + "\"stop_sequence\":null},\"usage\":{\"output_tokens\":1000}}").bytes());
                out.flush();
                for (int i = 0; i < after; i++) {
                    Thread.sleep(100);
                    out.write(new Wire.Event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,"
                            + "\"delta\":{\"type\":\"text_delta\",\"text\":\" more\"}}").bytes());
                    out.flush();
                }
                for (int i = 3; i < events.size(); i++) {
                    out.write(events.get(i).bytes());
                }
                out.close();
            } catch (IOException e) {
                cutOff.countDown();
                throw e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
        }
    }

    private static JsonObject issue(ProxyHttp proxy, String body) throws Exception {
        HttpResponse<String> issued = proxy.requestToken(body);
        assertEquals(201, issued.statusCode(), issued.body());
        return Json.createReader(new StringReader(issued.body())).readObject();
    }

    private String auditedOutcome(String agent) throws Exception {
        List<JsonObject> lines = Poll.until(Duration.ofSeconds(10), () -> logs.auditLines().stream()
                .filter(line -> "forward".equals(line.getString("event", "")) && agent.equals(line.getString("agent", "")))
                .toList(), found -> !found.isEmpty());
        assertEquals(1, lines.size(), lines.toString());
        return lines.get(0).getString("outcome");
    }

    private void assertEndedOverBudget(ProxyHttp proxy, String token, String agent) throws Exception {
        CrossingStream upstream = new CrossingStream(300);
        UPSTREAM.respondWith(upstream);
        try (SseClient stream = SseClient.open(proxy.base(), token, BODY)) {
            assertEquals(200, stream.status());
            assertNotNull(stream.awaitLine("event: error", Duration.ofSeconds(10)), "an error event: " + stream.seen());
            String data = stream.awaitLine("data: ", Duration.ofSeconds(1));
            assertTrue(data != null && data.contains("\"type\":\"error\"") && data.contains("\"type\":\"rate_limit_error\"")
                    && data.contains("budget-enforcement=strict"), data);
            assertTrue(stream.awaitEnd(Duration.ofSeconds(5)), "the stream ended after the error event");
            assertTrue(stream.seen().stream().noneMatch(line -> line.equals("event: message_stop")), stream.seen().toString());
            assertTrue(upstream.cutOff.await(10, TimeUnit.SECONDS), "the upstream saw its side cancelled");
        }
        assertEquals("budget_exceeded", auditedOutcome(agent));
    }

    @Test
    void aStreamThatCrossesMaxCostUsdIsEndedUnderStrict() throws Exception {
        ProxyHttp proxy = new ProxyHttp(strictUrl);
        JsonObject token = issue(proxy, "{\"ttl\":\"10m\",\"agent_name\":\"strict-token\",\"max_cost_usd\":0.01}");
        assertEndedOverBudget(proxy, token.getString("token"), "strict-token");
        // What the stream had reported when it was ended is charged: the budget is spent.
        JsonObject spend = Poll.until(Duration.ofSeconds(10), () -> self(proxy, token.getString("token")).getJsonObject("spend"),
                seen -> seen.getJsonNumber("spent_usd").bigDecimalValue().signum() > 0);
        assertEquals(new BigDecimal("0.015300"), spend.getJsonNumber("spent_usd").bigDecimalValue(), spend.toString());
    }

    @Test
    void aStreamThatCrossesItsAgentsBudgetIsEndedUnderStrict() throws Exception {
        ProxyHttp proxy = new ProxyHttp(strictUrl);
        JsonObject token = issue(proxy, "{\"ttl\":\"10m\",\"agent_name\":\"strict-agent\"}");
        assertEndedOverBudget(proxy, token.getString("token"), "strict-agent");
    }

    @Test
    void withoutStrictTheSameStreamFinishes() throws Exception {
        ProxyHttp proxy = new ProxyHttp(lenientUrl);
        JsonObject token = issue(proxy, "{\"ttl\":\"10m\",\"agent_name\":\"lenient-token\",\"max_cost_usd\":0.01}");
        UPSTREAM.respondWith(new CrossingStream(5));
        try (SseClient stream = SseClient.open(proxy.base(), token.getString("token"), BODY)) {
            assertEquals(200, stream.status());
            assertNotNull(stream.awaitLine("event: message_stop", Duration.ofSeconds(15)), "the stream finished: " + stream.seen());
            assertTrue(stream.seen().stream().noneMatch(line -> line.equals("event: error")), stream.seen().toString());
        }
        assertEquals("completed", auditedOutcome("lenient-token"));
    }

    private static JsonObject self(ProxyHttp proxy, String token) {
        try {
            HttpResponse<String> response = proxy.send(proxy.request("/v1/tokens/self").header("x-api-key", token).GET().build());
            return Json.createReader(new StringReader(response.body())).readObject();
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
