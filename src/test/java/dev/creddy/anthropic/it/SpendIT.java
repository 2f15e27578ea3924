package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyWar;
import dev.creddy.anthropic.usage.PriceTable;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringReader;
import java.math.BigDecimal;
import java.net.URL;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.OperateOnDeployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 19, end to end: the packaged WAR in embedded Tomcat, raw HTTP clients, and the fake Anthropic
 * API answering each usage shape; every cost is checked against a hand computation (Sonnet 4.5: 3 µ$
 * per input token, 15 µ$ per output token, 3.75 µ$ per 5-minute cache write, 6 µ$ per 1-hour write,
 * 0.3 µ$ per cache read).
 */
@ExtendWith(ArquillianExtension.class)
@Timeout(120)
class SpendIT {

    private static final FakeAnthropic UPSTREAM = FakeAnthropic.shared();
    /** The operator's table of the second deployment: Sonnet 4.5 at $1 in, $2 out. */
    private static final String REPLACED = "{\"models\":[{\"pattern\":\"claude-sonnet-4-5\",\"input\":1,\"output\":2,"
            + "\"source\":\"https://example.com/contract\",\"taken\":\"2026-12-01\"}]}";

    @Deployment(name = "spend", order = 1, testable = false)
    static WebArchive spend() {
        Map<String, String> settings = new HashMap<>(ProxyWar.standardSettings());
        settings.put("agent-budgets", "{\"capped-agent\":{\"usd_per_day\":0.01}}");
        return ProxyWar.withSettings("spend.war", settings);
    }

    @Deployment(name = "replaced", order = 2, testable = false)
    static WebArchive replaced() {
        Map<String, String> settings = new HashMap<>(ProxyWar.standardSettings());
        settings.put("price-table", REPLACED);
        return ProxyWar.withSettings("spend-replaced.war", settings);
    }

    @ArquillianResource
    @OperateOnDeployment("spend")
    URL spendUrl;

    @ArquillianResource
    @OperateOnDeployment("replaced")
    URL replacedUrl;

    private ProxyHttp http;

    @BeforeEach
    void connect() {
        UPSTREAM.reset();
        http = new ProxyHttp(spendUrl);
    }

    // --- the fake's answers -----------------------------------------------------------------------

    private static String event(String name, String data) {
        return "event: " + name + "\ndata: " + data + "\n\n";
    }

    private static final String CACHED_START = event("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\","
            + "\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"claude-sonnet-4-5-20250929\",\"stop_reason\":null,"
            + "\"stop_sequence\":null,\"usage\":{\"input_tokens\":12,\"cache_creation_input_tokens\":3000,\"cache_read_input_tokens\":20000,"
            + "\"cache_creation\":{\"ephemeral_5m_input_tokens\":1000,\"ephemeral_1h_input_tokens\":2000},\"output_tokens\":1}}}");
    private static final String TEXT = event("content_block_start",
            "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}")
            + event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}")
            + event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}");
    private static final String CACHED_DELTA = event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
            + "\"end_turn\",\"stop_sequence\":null},\"usage\":{\"input_tokens\":12,\"cache_creation_input_tokens\":3000,"
            + "\"cache_read_input_tokens\":20000,\"cache_creation\":{\"ephemeral_5m_input_tokens\":1000,"
            + "\"ephemeral_1h_input_tokens\":2000},\"output_tokens\":250}}");
    private static final String STOP = event("message_stop", "{\"type\":\"message_stop\"}");

    private static void sse(HttpExchange exchange, String body, boolean cut) throws IOException {
        exchange.getResponseHeaders().set("content-type", "text/event-stream; charset=utf-8");
        exchange.getResponseHeaders().set("request-id", UPSTREAM.nextRequestId());
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        out.write(body.getBytes(StandardCharsets.UTF_8));
        out.flush();
        if (cut) {
            // A broken connection, not a clean end: the proxy sees the stream fail after message_start.
            exchange.close();
            throw new IOException("cut on purpose");
        }
        out.close();
    }

    private static String message(String model, long input, long output) {
        return "{\"id\":\"msg_j\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"" + model + "\",\"content\":[{\"type\":"
                + "\"text\",\"text\":\"Hi\"}],\"stop_reason\":\"end_turn\",\"stop_sequence\":null,\"usage\":{\"input_tokens\":" + input
                + ",\"output_tokens\":" + output + "}}";
    }

    // --- helpers ----------------------------------------------------------------------------------

    private String issue(ProxyHttp on, String agent, String limits) throws Exception {
        HttpResponse<String> response = on.requestToken("{\"ttl\":\"10m\",\"agent_name\":\"" + agent + "\"" + limits + "}");
        assertEquals(201, response.statusCode(), response.body());
        return json(response.body()).getString("token");
    }

    private static JsonObject json(String text) {
        return Json.createReader(new StringReader(text)).readObject();
    }

    private HttpResponse<String> ask(ProxyHttp on, String token, String model, boolean stream) throws Exception {
        String body = "{\"model\":\"" + model + "\",\"max_tokens\":100,\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";
        return on.send(on.request("/v1/messages").header("x-api-key", token).header("content-type", "application/json")
                .header("anthropic-version", "2023-06-01").POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private static JsonObject self(ProxyHttp on, String token) throws Exception {
        HttpResponse<String> response = on.send(on.request("/v1/tokens/self").header("x-api-key", token).GET().build());
        assertEquals(200, response.statusCode(), response.body());
        return json(response.body());
    }

    /** The usage is recorded just after the client has its last byte: polls until {@code requests} is reached. */
    private static JsonObject awaitTotal(ProxyHttp on, String token, long requests) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (true) {
            JsonObject total = self(on, token).getJsonObject("usage").getJsonObject("total");
            if (total.getJsonNumber("requests").longValue() >= requests || System.nanoTime() > deadline) {
                return total;
            }
            Thread.sleep(20);
        }
    }

    private static BigDecimal usd(String text) {
        return new BigDecimal(text);
    }

    // --- the tests --------------------------------------------------------------------------------

    @Test
    void aStreamWithBothCacheLifetimesCostsItsHandComputation() throws Exception {
        UPSTREAM.respondWith((request, exchange) -> sse(exchange, CACHED_START + TEXT + CACHED_DELTA + STOP, false));
        String token = issue(http, "cache-agent", "");
        HttpResponse<String> response = ask(http, token, "claude-sonnet-4-5", true);
        assertEquals(200, response.statusCode(), response.body());
        JsonObject total = awaitTotal(http, token, 1);
        // 12×3 + 250×15 + 1000×3.75 + 2000×6 + 20000×0.3 = 25536 µ$
        assertEquals(usd("0.025536"), total.getJsonNumber("cost_usd").bigDecimalValue(), total.toString());
        assertEquals(3012 + 20000 + 250, total.getJsonNumber("tokens").longValue(), "nothing counted twice: " + total);
        JsonObject spend = self(http, token).getJsonObject("spend");
        assertEquals(usd("0.000000"), spend.getJsonNumber("spent_usd").bigDecimalValue(), "no budget, nothing reserved or charged to one");
    }

    /** The sum of every series of {@code name} in a Prometheus scrape of the spend deployment (read with the issuer key). */
    private double metric(String name, String labels) throws Exception {
        HttpResponse<String> response = http.send(http.request("/metrics")
                .header("Authorization", "Bearer " + ProxyWar.ISSUER_KEY).GET().build());
        assertEquals(200, response.statusCode(), response.body());
        double sum = 0;
        for (String line : response.body().split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{") && line.contains(labels)) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    private void awaitMetric(String name, String labels, double expected) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        double value = metric(name, labels);
        while (!(Math.abs(value - expected) <= 1e-9) && System.nanoTime() < deadline) {
            Thread.sleep(20);
            value = metric(name, labels);
        }
        String scrape = http.send(http.request("/metrics").header("Authorization", "Bearer " + ProxyWar.ISSUER_KEY).GET().build()).body();
        assertEquals(expected, value, 1e-9, name + labels + " in:\n" + String.join("\n",
                scrape.lines().filter(line -> line.contains(name.substring(0, 14))).toList()));
    }

    /**
     * The metrics issue 19 adds, moved by one request held at the upstream: its dollar reservation and its
     * concurrency slot while it runs, none once it ended, and its exact cost under its agent's tag.
     */
    @Test
    void aRequestInFlightHoldsAReservationAndASlotAndItsCostShowsByAgent() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        UPSTREAM.respondWith((request, exchange) -> {
            try {
                release.await(20, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            sse(exchange, CACHED_START + TEXT + CACHED_DELTA + STOP, false);
        });
        String token = issue(http, "metered-agent", ",\"max_cost_usd\":1,\"max_concurrent\":2");
        String body = "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":100,\"stream\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";
        var pending = http.sendAsync(http.request("/v1/messages").header("x-api-key", token).header("content-type", "application/json")
                .header("anthropic-version", "2023-06-01").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        try {
            awaitMetric("creddy_concurrency_in_use", "", 1);
            awaitMetric("creddy_spend_reservations_outstanding", "", 1);
        } finally {
            release.countDown();
        }
        assertEquals(200, pending.get(20, java.util.concurrent.TimeUnit.SECONDS).statusCode());
        awaitSpent(http, token, usd("0.025536"));
        awaitMetric("creddy_concurrency_in_use", "", 0);
        awaitMetric("creddy_spend_reservations_outstanding", "", 0);
        awaitMetric("creddy_cost_usd_total", "agent=\"metered-agent\"", 0.025536);
    }

    @Test
    void aStreamCutAfterMessageStartIsChargedWhatWasReportedAndMarkedPartial() throws Exception {
        UPSTREAM.respondWith((request, exchange) -> sse(exchange, CACHED_START + TEXT, true));
        String token = issue(http, "cut-agent", ",\"max_cost_usd\":1");
        ask(http, token, "claude-sonnet-4-5", true);
        JsonObject total = awaitTotal(http, token, 1);
        // 12×3 + 1×15 + 1000×3.75 + 2000×6 + 20000×0.3 = 21801 µ$, never zero
        assertEquals(usd("0.021801"), total.getJsonNumber("cost_usd").bigDecimalValue(), total.toString());
        assertEquals(1, total.getJsonNumber("partial").longValue(), total.toString());
        JsonObject spend = awaitSpent(http, token, usd("0.021801"));
        assertEquals(usd("0.978199"), spend.getJsonNumber("left_usd").bigDecimalValue(), spend.toString());
    }

    private static JsonObject awaitSpent(ProxyHttp on, String token, BigDecimal expected) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (true) {
            JsonObject spend = self(on, token).getJsonObject("spend");
            if (spend.getJsonNumber("spent_usd").bigDecimalValue().compareTo(expected) == 0 || System.nanoTime() > deadline) {
                assertEquals(expected, spend.getJsonNumber("spent_usd").bigDecimalValue(), spend.toString());
                assertEquals(usd("0.000000"), spend.getJsonNumber("reserved_usd").bigDecimalValue(), spend.toString());
                return spend;
            }
            Thread.sleep(20);
        }
    }

    @Test
    void aLifetimeBudgetRefusesOnceSpentAndSaysNotToRetry() throws Exception {
        // 1000×3 + 2000×15 = 33000 µ$ a request against a $0.05 budget: two are admitted, the third is refused.
        UPSTREAM.respondWith((request, exchange) -> FakeAnthropic.json(exchange, 200, message("claude-sonnet-4-5-20250929", 1000, 2000)));
        String token = issue(http, "budget-agent", ",\"max_cost_usd\":0.05");
        assertEquals(200, ask(http, token, "claude-sonnet-4-5", false).statusCode());
        awaitSpent(http, token, usd("0.033000"));
        assertEquals(200, ask(http, token, "claude-sonnet-4-5", false).statusCode());
        awaitSpent(http, token, usd("0.066000"));
        UPSTREAM.reset();
        HttpResponse<String> refused = ask(http, token, "claude-sonnet-4-5", false);
        assertEquals(429, refused.statusCode(), refused.body());
        JsonObject error = json(refused.body()).getJsonObject("error");
        assertEquals("rate_limit_error", error.getString("type"));
        assertTrue(error.getString("message").contains("max_cost_usd") && error.getString("message").contains("$0.050000"),
                error.getString("message"));
        assertEquals("false", refused.headers().firstValue("x-should-retry").orElse(""));
        assertEquals(0, UPSTREAM.pendingRequests(), "a refused request never reaches the upstream");
    }

    @Test
    void anAgentsRollingBudgetRefusesWithARetryTime() throws Exception {
        UPSTREAM.respondWith((request, exchange) -> FakeAnthropic.json(exchange, 200, message("claude-sonnet-4-5", 1000, 2000)));
        String first = issue(http, "capped-agent", "");
        String second = issue(http, "capped-agent", "");
        assertEquals(200, ask(http, first, "claude-sonnet-4-5", false).statusCode());
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        HttpResponse<String> refused;
        do {
            refused = ask(http, second, "claude-sonnet-4-5", false);
        } while (refused.statusCode() == 200 && System.nanoTime() < deadline);
        assertEquals(429, refused.statusCode(), refused.body());
        assertTrue(json(refused.body()).getJsonObject("error").getString("message").contains("agent capped-agent"), refused.body());
        assertTrue(refused.headers().firstValue("retry-after").isPresent(), refused.headers().toString());
        JsonObject agent = self(http, second).getJsonObject("spend").getJsonObject("agent");
        assertEquals(usd("0.010000"), agent.getJsonNumber("usd_per_day").bigDecimalValue(), agent.toString());
    }

    @Test
    void anUnknownModelWithADollarBudgetNeverReachesTheUpstream() throws Exception {
        String token = issue(http, "unknown-agent", ",\"max_cost_usd\":1");
        HttpResponse<String> refused = ask(http, token, "claude-unreleased-9", false);
        assertEquals(400, refused.statusCode(), refused.body());
        String message = json(refused.body()).getJsonObject("error").getString("message");
        assertTrue(message.contains("claude-unreleased-9") && message.contains("price-table"), message);
        Thread.sleep(200);
        assertEquals(0, UPSTREAM.pendingRequests(), "the upstream saw nothing");
        // Without a dollar budget the same model goes through, counted but unpriced, never priced at zero.
        String free = issue(http, "unknown-agent", "");
        UPSTREAM.respondWith((request, exchange) -> FakeAnthropic.json(exchange, 200, message("claude-unreleased-9", 10, 10)));
        assertEquals(200, ask(http, free, "claude-unreleased-9", false).statusCode());
        assertEquals(1, awaitTotal(http, free, 1).getJsonNumber("unpriced").longValue());
    }

    @Test
    void aReplacedPriceTableChangesTheNextRequestsCostAndTheVersion() throws Exception {
        ProxyHttp replaced = new ProxyHttp(replacedUrl);
        UPSTREAM.respondWith((request, exchange) -> FakeAnthropic.json(exchange, 200, message("claude-sonnet-4-5", 1000, 2000)));
        String builtIn = issue(http, "price-agent", "");
        String operator = issue(replaced, "price-agent", "");
        assertEquals(200, ask(http, builtIn, "claude-sonnet-4-5", false).statusCode());
        assertEquals(200, ask(replaced, operator, "claude-sonnet-4-5", false).statusCode());
        assertEquals(usd("0.033000"), awaitTotal(http, builtIn, 1).getJsonNumber("cost_usd").bigDecimalValue());
        // 1000×1 + 2000×2 = 5000 µ$ at the operator's rates.
        assertEquals(usd("0.005000"), awaitTotal(replaced, operator, 1).getJsonNumber("cost_usd").bigDecimalValue());
        JsonObject builtInTable = json(http.send(http.request("/health/ready").GET().build()).body()).getJsonObject("price_table");
        JsonObject replacedTable = json(replaced.send(replaced.request("/health/ready").GET().build()).body()).getJsonObject("price_table");
        assertEquals(PriceTable.builtIn().version(), builtInTable.getString("version"));
        assertEquals("built-in", builtInTable.getString("origin"));
        assertNotEquals(builtInTable.getString("version"), replacedTable.getString("version"));
        assertEquals("built-in + setting", replacedTable.getString("origin"));
    }
}
