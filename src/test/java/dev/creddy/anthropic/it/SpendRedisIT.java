package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyWar;
import dev.creddy.anthropic.it.support.RedisServer;
import dev.creddy.anthropic.usage.PriceTable;
import dev.creddy.anthropic.usage.SpendGate;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.StringReader;
import java.math.BigDecimal;
import java.net.URL;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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
 * Issue 19: 20 concurrent requests against a $0.05 budget, spread over two instances (the WAR deployed
 * twice) sharing one real redis-server: what the token spends stays within the stated bound, the
 * budget plus one request's reservation, and only admitted requests reach the upstream.
 */
@ExtendWith(ArquillianExtension.class)
@Timeout(120)
class SpendRedisIT {

    private static final FakeAnthropic UPSTREAM = FakeAnthropic.shared();
    private static final String BODY = "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":1000,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";
    /** Sonnet 4.5, 100 in and 1000 out: 100×3 + 1000×15 = 15300 µ$. */
    private static final String ANSWER = "{\"id\":\"msg_r\",\"type\":\"message\",\"role\":\"assistant\",\"model\":"
            + "\"claude-sonnet-4-5-20250929\",\"content\":[{\"type\":\"text\",\"text\":\"Hi\"}],\"stop_reason\":\"end_turn\","
            + "\"stop_sequence\":null,\"usage\":{\"input_tokens\":100,\"output_tokens\":1000}}";

    private static RedisServer redis;

    private static synchronized RedisServer redis() {
        if (redis == null) {
            redis = RedisServer.start();
        }
        return redis;
    }

    private static WebArchive instance(String name) {
        Map<String, String> settings = new HashMap<>(ProxyWar.standardSettings());
        settings.put("token-store", "redis");
        settings.put("redis-url", redis().url());
        return ProxyWar.withSettings(name, settings);
    }

    @Deployment(name = "a", order = 1, testable = false)
    static WebArchive instanceA() {
        return instance("spend-a.war");
    }

    @Deployment(name = "b", order = 2, testable = false)
    static WebArchive instanceB() {
        return instance("spend-b.war");
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

    private static JsonObject json(String text) {
        return Json.createReader(new StringReader(text)).readObject();
    }

    @Test
    void twentyConcurrentRequestsOnTwoInstancesStayWithinOneReservationOfTheBudget() throws Exception {
        UPSTREAM.reset();
        // Slow enough that the requests overlap: each holds its reservation while the others ask.
        UPSTREAM.respondWith((request, exchange) -> {
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            FakeAnthropic.json(exchange, 200, ANSWER);
        });
        ProxyHttp a = new ProxyHttp(urlA);
        ProxyHttp b = new ProxyHttp(urlB);
        HttpResponse<String> issued = a.requestToken("{\"ttl\":\"10m\",\"agent_name\":\"spender\",\"max_cost_usd\":0.05}");
        assertEquals(201, issued.statusCode(), issued.body());
        String token = json(issued.body()).getString("token");
        long budget = 50_000;
        long reservation = SpendGate.forRequest(null, PriceTable.builtIn(), Map.of(), tokenRecordFor(), "POST", "/v1/messages")
                .estimate("claude-sonnet-4-5", OptionalLong.of(1000), BODY.length());

        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            ProxyHttp on = i % 2 == 0 ? a : b;
            answers.add(on.sendAsync(on.request("/v1/messages").header("x-api-key", token)
                    .header("content-type", "application/json").header("anthropic-version", "2023-06-01")
                    .POST(HttpRequest.BodyPublishers.ofString(BODY)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        int admitted = 0;
        for (CompletableFuture<HttpResponse<String>> answer : answers) {
            HttpResponse<String> response = answer.get(60, TimeUnit.SECONDS);
            if (response.statusCode() == 200) {
                admitted++;
            } else {
                assertEquals(429, response.statusCode(), response.body());
                assertEquals("false", response.headers().firstValue("x-should-retry").orElse(""));
            }
        }
        assertTrue(admitted >= 1, "the budget admits while it has room");
        assertEquals(admitted, UPSTREAM.pendingRequests(), "only admitted requests reached the upstream");

        // The settlements reach Redis just after the answers: poll until nothing is reserved.
        JsonObject spend = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            HttpResponse<String> self = b.send(b.request("/v1/tokens/self").header("x-api-key", token).GET().build());
            spend = json(self.body()).getJsonObject("spend");
            if (spend.getJsonNumber("reserved_usd").bigDecimalValue().signum() == 0) {
                break;
            }
            Thread.sleep(50);
        }
        long spent = spend.getJsonNumber("spent_usd").bigDecimalValue().movePointRight(6).longValueExact();
        System.out.println("SpendRedisIT: " + admitted + " of 20 admitted, spent " + spent + " µ$ of a " + budget
                + " µ$ budget, bound " + (budget + reservation) + " µ$");
        assertEquals(admitted * 15_300L, spent, "each admitted request charged its exact cost: " + spend);
        assertTrue(spent <= budget + reservation, "spent " + spent + " µ$ of " + budget + " with one reservation of "
                + reservation + " as the bound; " + admitted + " admitted");
        assertEquals(new BigDecimal("0.000000"), spend.getJsonNumber("reserved_usd").bigDecimalValue());
    }

    /** A record only for computing the estimate the proxy makes (the gate needs a budgeted token). */
    private static dev.creddy.anthropic.token.TokenRecord tokenRecordFor() {
        java.time.Instant now = java.time.Instant.now();
        return new dev.creddy.anthropic.token.TokenRecord(new dev.creddy.anthropic.token.TokenId("tok_estimate00000000"),
                "spender", now, now.plusSeconds(60), new dev.creddy.anthropic.token.TokenLimits(OptionalLong.empty(),
                        OptionalLong.empty(), OptionalLong.empty(), List.of(), List.of(), OptionalLong.of(50_000), OptionalLong.empty()));
    }
}
