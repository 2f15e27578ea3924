package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.models.messages.batches.MessageBatchIndividualResponse;
import com.sun.net.httpserver.HttpExchange;
import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.FakeAnthropic.Received;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyObjects;
import dev.creddy.anthropic.it.support.ProxyWar;
import dev.creddy.anthropic.it.support.RedisServer;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.OperateOnDeployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 19: a Message Batch's results are priced at the batch rate from the results download and
 * charged once to the agent that owns the batch, on two instances (the WAR deployed twice) sharing
 * one real redis-server: a download the upstream breaks off is charged the lines it carried whole, a
 * whole download after it the rest, and downloads after that, on either instance, nothing; the
 * batch's cost counts against the agent's dollar budget. The official Java SDK downloads the results.
 *
 * <p>The results file is the Batches documentation's example (two succeeded lines, Sonnet 4.5, 11 in
 * and 36 out, 10 in and 34 out), with an errored and an expired line, and a succeeded Haiku 4.5 line
 * with both cache lifetimes. At the batch rate (half of every rate), each line rounded up once:
 * <ul>
 * <li>(11×3 + 36×15) / 2 = 286.5 → 287 µ$; (10×3 + 34×15) / 2 = 270 µ$;</li>
 * <li>(100×1 + 1000×1.25 + 2000×2 + 20000×0.1 + 500×5) / 2 = 9850 / 2 = 4925 µ$;</li>
 * <li>errored and expired lines: nothing. The whole file: 5482 µ$.</li>
 * </ul>
 */
@ExtendWith(ArquillianExtension.class)
@Timeout(120)
class BatchSpendRedisIT {

    private static final FakeAnthropic UPSTREAM = FakeAnthropic.shared();
    private static final String BATCH = "msgbatch_01docs";
    private static final String RESULTS = String.join("\n",
            "{\"custom_id\":\"my-second-request\",\"result\":{\"type\":\"succeeded\",\"message\":{\"id\":\"msg_014VwiXbi91y3JMjcpyGBHX5\","
                    + "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5-20250929\",\"content\":[{\"type\":\"text\","
                    + "\"text\":\"Hello again! It's nice to see you. How can I assist you today?\"}],\"stop_reason\":\"end_turn\","
                    + "\"stop_sequence\":null,\"usage\":{\"input_tokens\":11,\"output_tokens\":36}}}}",
            "{\"custom_id\":\"my-first-request\",\"result\":{\"type\":\"succeeded\",\"message\":{\"id\":\"msg_01FqfsLoHwgeFbguDgpz48m7\","
                    + "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5-20250929\",\"content\":[{\"type\":\"text\","
                    + "\"text\":\"Hello! How can I assist you today?\"}],\"stop_reason\":\"end_turn\",\"stop_sequence\":null,"
                    + "\"usage\":{\"input_tokens\":10,\"output_tokens\":34}}}}",
            "{\"custom_id\":\"my-third-request\",\"result\":{\"type\":\"errored\",\"error\":{\"type\":\"error\",\"error\":"
                    + "{\"type\":\"invalid_request_error\",\"message\":\"max_tokens: Field required\"}}}}",
            "{\"custom_id\":\"my-fourth-request\",\"result\":{\"type\":\"expired\"}}",
            "{\"custom_id\":\"my-fifth-request\",\"result\":{\"type\":\"succeeded\",\"message\":{\"id\":\"msg_01CachedHaiku\","
                    + "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-haiku-4-5\",\"content\":[{\"type\":\"text\","
                    + "\"text\":\"Cached.\"}],\"stop_reason\":\"end_turn\",\"stop_sequence\":null,\"usage\":{\"input_tokens\":100,"
                    + "\"cache_creation_input_tokens\":3000,\"cache_read_input_tokens\":20000,\"cache_creation\":"
                    + "{\"ephemeral_5m_input_tokens\":1000,\"ephemeral_1h_input_tokens\":2000},\"output_tokens\":500}}}}") + "\n";

    private static RedisServer redis;

    private static synchronized RedisServer redis() {
        if (redis == null) {
            redis = RedisServer.start();
        }
        return redis;
    }

    private static WebArchive instance(String name, boolean budgeted) {
        Map<String, String> settings = new HashMap<>(ProxyWar.standardSettings());
        settings.put("token-store", "redis");
        settings.put("redis-url", redis().url());
        if (budgeted) {
            // $0.005 a day: the whole batch (5482 µ$) spends it, its first two lines (557 µ$) do not.
            settings.put("agent-budgets", "{\"batcher\":{\"usd_per_day\":0.005}}");
        }
        return ProxyWar.withSettings(name, settings);
    }

    @Deployment(name = "a", order = 1, testable = false)
    static WebArchive instanceA() {
        return instance("batch-spend-a.war", true);
    }

    @Deployment(name = "b", order = 2, testable = false)
    static WebArchive instanceB() {
        return instance("batch-spend-b.war", true);
    }

    /**
     * An instance without the agent's budget, on the same Redis: where the batch is created, as one created
     * before the budget was set would have been. With a budget, an agent may create no batch (below).
     */
    @Deployment(name = "c", order = 3, testable = false)
    static WebArchive instanceWithoutBudgets() {
        return instance("batch-spend-c.war", false);
    }

    @AfterAll
    static void stopRedis() throws InterruptedException {
        if (redis != null) {
            redis.close();
        }
    }

    @ArquillianResource
    @OperateOnDeployment("a")
    URL urlA;

    @ArquillianResource
    @OperateOnDeployment("b")
    URL urlB;

    @ArquillianResource
    @OperateOnDeployment("c")
    URL urlC;

    /** Serves the results file; while {@code cutAfter} is not negative, breaks the connection after that many bytes. */
    private static void results(Received request, HttpExchange exchange, int cutAfter) throws IOException {
        byte[] body = RESULTS.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("content-type", "application/binary");
        exchange.getResponseHeaders().set("request-id", UPSTREAM.nextRequestId());
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        if (cutAfter >= 0) {
            out.write(body, 0, cutAfter);
            out.flush();
            exchange.close();
            throw new IOException("cut on purpose");
        }
        // In pieces that split lines, as a large file arrives.
        for (int offset = 0; offset < body.length; offset += 100) {
            out.write(body, offset, Math.min(100, body.length - offset));
            out.flush();
        }
        out.close();
    }

    private static JsonObject json(String text) {
        return Json.createReader(new StringReader(text)).readObject();
    }

    private static JsonObject self(ProxyHttp on, String token) throws Exception {
        HttpResponse<String> response = on.send(on.request("/v1/tokens/self").header("x-api-key", token).GET().build());
        assertEquals(200, response.statusCode(), response.body());
        return json(response.body());
    }

    /** Usage and spend reach Redis just after the client's last byte: polls until {@code done} holds. */
    private static JsonObject awaitSelf(ProxyHttp on, String token, Predicate<JsonObject> done) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        JsonObject seen = self(on, token);
        while (!done.test(seen) && System.nanoTime() < deadline) {
            Thread.sleep(20);
            seen = self(on, token);
        }
        return seen;
    }

    private static long requests(JsonObject self) {
        return self.getJsonObject("usage").getJsonObject("total").getJsonNumber("requests").longValue();
    }

    private static BigDecimal cost(JsonObject self) {
        return self.getJsonObject("usage").getJsonObject("total").getJsonNumber("cost_usd").bigDecimalValue();
    }

    private static BigDecimal agentSpent(JsonObject self) {
        return self.getJsonObject("spend").getJsonObject("agent").getJsonNumber("spent_usd").bigDecimalValue();
    }

    private static int downloadWithTheSdk(ProxyHttp on, String token) {
        AnthropicClient client = AnthropicOkHttpClient.builder().baseUrl(on.base()).apiKey(token).maxRetries(0)
                .timeout(Duration.ofSeconds(30)).build();
        try (StreamResponse<MessageBatchIndividualResponse> lines = client.messages().batches().resultsStreaming(BATCH)) {
            return (int) lines.stream().count();
        } finally {
            client.close();
        }
    }

    @Test
    void aBatchsResultsAreChargedOnceAtTheBatchRateToTheOwningAgentAndItsBudget() throws Exception {
        UPSTREAM.reset();
        ProxyHttp a = new ProxyHttp(urlA);
        ProxyHttp b = new ProxyHttp(urlB);
        String token = a.issueTokenForEveryEndpoint("batcher", "10m");
        String other = b.issueTokenForEveryEndpoint("batcher", "10m");
        // A budgeted agent creates no batch: its cost is known only from its results.
        HttpResponse<String> closed = a.send(a.request("/v1/messages/batches").header("x-api-key", token)
                .header("content-type", "application/json").header("anthropic-version", "2023-06-01")
                .POST(HttpRequest.BodyPublishers.ofString("{\"requests\":[]}")).build());
        assertEquals(403, closed.statusCode(), closed.body());
        assertTrue(closed.body().contains("agent-budgets"), closed.body());
        assertEquals(0, UPSTREAM.pendingRequests(), "a refused batch never reaches the upstream");
        ProxyObjects.createBatches(UPSTREAM, new ProxyHttp(urlC), token, BATCH);
        AtomicInteger cutAfter = new AtomicInteger(RESULTS.indexOf("my-third-request") + 20);
        UPSTREAM.respondWith((request, exchange) -> results(request, exchange, cutAfter.get()));

        // 1. The upstream breaks the download off inside the third line: the first two are charged.
        HttpResponse<byte[]> broken;
        try {
            broken = a.send(a.request("/v1/messages/batches/" + BATCH + "/results").header("x-api-key", token).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertTrue(broken.body().length < RESULTS.length(), "a download broken off cannot arrive whole");
        } catch (IOException expected) {
            // The connection is broken as for any upstream failure.
        }
        JsonObject afterCut = awaitSelf(a, token, seen -> requests(seen) >= 2 && cost(seen).signum() > 0);
        assertEquals(new BigDecimal("0.000557"), cost(afterCut), afterCut.toString());
        assertEquals(new BigDecimal("0.000557"), agentSpent(afterCut), afterCut.toString());

        // 2. A whole download with the SDK, on the other instance with another token of the agent: the rest.
        cutAfter.set(-1);
        assertEquals(5, downloadWithTheSdk(b, other));
        JsonObject whole = awaitSelf(b, other, seen -> requests(seen) >= 1 && cost(seen).signum() > 0);
        assertEquals(new BigDecimal("0.004925"), cost(whole), whole.toString());
        JsonObject totals = whole.getJsonObject("usage").getJsonObject("total");
        assertEquals(100, totals.getJsonNumber("input_tokens").longValue());
        assertEquals(500, totals.getJsonNumber("output_tokens").longValue());
        assertEquals(3000, totals.getJsonNumber("cache_creation_input_tokens").longValue());
        assertEquals(20000, totals.getJsonNumber("cache_read_input_tokens").longValue());
        assertEquals(new BigDecimal("0.005482"), agentSpent(awaitSelf(a, token,
                seen -> agentSpent(seen).compareTo(new BigDecimal("0.005482")) >= 0)));

        // 3. Downloads after that, on either instance, by either token: counted as requests, charged nothing.
        assertEquals(5, downloadWithTheSdk(a, token));
        assertEquals(5, downloadWithTheSdk(b, token));
        JsonObject again = awaitSelf(a, token, seen -> requests(seen) >= 4);
        assertEquals(4, requests(again), "the create, the broken download and two whole ones");
        assertEquals(new BigDecimal("0.000557"), cost(again), again.toString());
        assertEquals(new BigDecimal("0.005482"), agentSpent(again), again.toString());
        assertEquals(new BigDecimal("0.004925"), cost(self(b, other)));

        // 4. The batch spent the agent's $0.005: its next Messages request is refused before the upstream.
        UPSTREAM.reset();
        HttpResponse<String> refused = a.send(a.request("/v1/messages").header("x-api-key", other)
                .header("content-type", "application/json").header("anthropic-version", "2023-06-01")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":10,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")).build());
        assertEquals(429, refused.statusCode(), refused.body());
        assertTrue(json(refused.body()).getJsonObject("error").getString("message").contains("agent batcher"), refused.body());
        assertEquals(0, UPSTREAM.pendingRequests(), "a refused request never reaches the upstream");
    }
}
