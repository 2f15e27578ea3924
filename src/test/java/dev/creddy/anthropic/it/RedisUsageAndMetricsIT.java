package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyWar;
import dev.creddy.anthropic.it.support.RedisServer;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.io.StringReader;
import java.net.URL;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
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
 * Issue 16, over HTTP against the packaged WAR on a real redis-server: {@code GET /v1/usage} a page at
 * a time, and the metrics of what the Redis link means for tokens and usage (the validation cache's
 * hits and misses, usage records dropped by why), read by scraping {@code /metrics}. The instance
 * trusts its cache for 30 s, so a token it has seen is forwarded while Redis is frozen, and only its
 * usage record meets the outage.
 */
@ExtendWith(ArquillianExtension.class)
@Timeout(120)
class RedisUsageAndMetricsIT {

    private static final FakeAnthropic UPSTREAM = FakeAnthropic.shared();

    private static RedisServer redis;

    private static synchronized RedisServer redis() {
        if (redis == null) {
            redis = RedisServer.start();
        }
        return redis;
    }

    @Deployment(testable = false)
    static WebArchive instance() {
        Map<String, String> settings = new HashMap<>(ProxyWar.standardSettings());
        settings.put("token-store", "redis");
        settings.put("redis-url", redis().url());
        settings.put("redis-command-timeout", "1s");
        settings.put("redis-cache-ttl", "30s");
        return ProxyWar.withSettings("redis-usage-metrics.war", settings);
    }

    @AfterAll
    static void stopRedis() throws InterruptedException {
        if (redis != null) {
            redis.close();
        }
    }

    @ArquillianResource
    URL url;

    private ProxyHttp proxy;

    @BeforeEach
    void connect() {
        UPSTREAM.reset();
        proxy = new ProxyHttp(url);
    }

    /** Lets Redis go on, and waits until the link is back (connected, circuit closed, subscribed) for the next test. */
    @AfterEach
    void thaw() throws Exception {
        redis.thaw();
        await("the link is back after the test", Duration.ofSeconds(30), () -> metric("creddy_redis_connected", "") == 1.0
                && metric("creddy_redis_circuit_open", "") == 0.0 && metric("creddy_redis_subscribed", "") == 1.0);
    }

    @Test
    void theUsageReportComesAPageAtATimeInItsOrder() throws Exception {
        List<String> agents = List.of("pages-b", "pages-a", "pages-b", "pages-a", "pages-a");
        for (String agent : agents) {
            assertEquals(200, proxy.listModels(proxy.issueToken(agent, "10m")).statusCode());
        }
        await("the five tokens' usage is recorded", Duration.ofSeconds(20),
                () -> tokenIds(usage("?agent=pages-a&limit=1000")).size() == 3
                        && tokenIds(usage("?agent=pages-b&limit=1000")).size() == 2);
        List<String> whole = new ArrayList<>(tokenIds(usage("?agent=pages-a&limit=1000")));
        whole.addAll(tokenIds(usage("?agent=pages-b&limit=1000")));

        List<String> paged = new ArrayList<>();
        long requests = 0;
        String after = null;
        int pages = 0;
        for (String agent : List.of("pages-a", "pages-b")) {
            do {
                JsonObject page = usage("?agent=" + agent + "&limit=2" + (after == null ? "" : "&after=" + after));
                List<String> ids = tokenIds(page);
                assertTrue(ids.size() <= 2, page.toString());
                paged.addAll(ids);
                requests += page.getJsonObject("total").getJsonNumber("requests").longValue();
                pages++;
                if (page.getBoolean("has_more")) {
                    after = URLEncoder.encode(page.getString("next"), StandardCharsets.UTF_8);
                } else {
                    assertEquals(JsonValue.NULL, page.get("next"), page.toString());
                    after = null;
                }
            } while (after != null);
        }
        assertEquals(whole, paged, "the pages, one after the other, are the whole report in its order");
        assertEquals(3, pages, "pages-a in 2 + 1, pages-b in 2");
        assertEquals(5, requests, "each page's total is its lines' sum");

        JsonObject first = usage("?agent=pages-a&limit=1");
        assertTrue(first.getBoolean("has_more"));
        JsonObject second = usage("?agent=pages-a&limit=1&after=" + URLEncoder.encode(first.getString("next"), StandardCharsets.UTF_8));
        assertEquals(whole.subList(1, 2), tokenIds(second));
        JsonObject unlimited = usage("?agent=pages-a");
        assertFalse(unlimited.getBoolean("has_more"), "without limit, up to 100 lines: " + unlimited);
        assertEquals(whole.subList(0, 3), tokenIds(unlimited));

        for (String query : List.of("?limit=0", "?limit=1001", "?limit=many", "?after=not-a-cursor", "?after=tok_3q2fJ5kQx0bXH1aR")) {
            HttpResponse<String> bad = proxy.send(proxy.request("/v1/usage" + query)
                    .header("Authorization", "Bearer " + ProxyWar.ISSUER_KEY).GET().build());
            assertEquals(400, bad.statusCode(), query + ": " + bad.body());
            JsonObject error = json(bad.body()).getJsonObject("error");
            assertEquals("invalid_request_error", error.getString("type"), query);
            assertTrue(error.getString("message").startsWith(query.contains("limit") ? "limit must" : "after must"),
                    query + ": " + error.getString("message"));
        }
    }

    @Test
    void theValidationCachesHitsAndMissesAreCounted() throws Exception {
        await("the revocation channel is subscribed (only then are validations cached)", Duration.ofSeconds(20),
                () -> metric("creddy_redis_subscribed", "") == 1.0);
        String token = proxy.issueToken("cache-counts", "10m");
        double hits = metric("creddy_validation_cache_lookups_total", "result=\"hit\"");
        double misses = metric("creddy_validation_cache_lookups_total", "result=\"miss\"");
        for (int i = 0; i < 3; i++) {
            assertEquals(200, proxy.listModels(token).statusCode());
        }
        double hitsAfter = metric("creddy_validation_cache_lookups_total", "result=\"hit\"");
        double missesAfter = metric("creddy_validation_cache_lookups_total", "result=\"miss\"");
        assertEquals(3.0, hitsAfter - hits + missesAfter - misses, "three validations, each a hit or a miss");
        assertTrue(missesAfter - misses >= 1, "the first one asked Redis");
        assertTrue(hitsAfter - hits >= 1, "a later one was answered from the cache");
    }

    @Test
    void aUsageRecordRedisCouldNotTakeIsCountedWithWhy() throws Exception {
        String scrape = metrics();
        for (String reason : List.of("timeout", "circuit_open", "unreachable", "oom", "readonly", "permission", "authentication",
                "error")) {
            assertTrue(scrape.contains("creddy_usage_records_dropped_total{reason=\"" + reason + "\"} "),
                    "shown before the first drop: " + reason + "\n" + scrape);
        }
        await("the revocation channel is subscribed (only then are validations cached)", Duration.ofSeconds(20),
                () -> metric("creddy_redis_subscribed", "") == 1.0);
        String token = proxy.issueToken("dropped-usage", "10m");
        assertEquals(200, proxy.listModels(token).statusCode(), "validated once, so cached for 30 s");
        await("the first request's usage is recorded before Redis freezes", Duration.ofSeconds(20), () -> {
            HttpResponse<String> self = proxy.send(proxy.request("/v1/tokens/self").header("x-api-key", token).GET().build());
            return self.statusCode() == 200
                    && json(self.body()).getJsonObject("usage").getJsonObject("total").getInt("requests") == 1;
        });
        double before = droppedForAnyReason();
        redis.freeze();
        assertEquals(200, proxy.listModels(token).statusCode(), "forwarded on the cached validation; only the record needs Redis");
        await("the record times out and is counted", Duration.ofSeconds(20), () -> droppedForAnyReason() >= before + 1);
        assertEquals(before + 1, droppedForAnyReason(), "one record was sent while Redis was frozen");
        double timeouts = metric("creddy_usage_records_dropped_total", "reason=\"timeout\"")
                + metric("creddy_usage_records_dropped_total", "reason=\"circuit_open\"");
        assertTrue(timeouts >= 1, "dropped because Redis did not answer:\n" + metrics());
    }

    private double droppedForAnyReason() throws Exception {
        return metrics().lines().filter(line -> line.startsWith("creddy_usage_records_dropped_total{"))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
    }

    private JsonObject usage(String query) throws Exception {
        HttpResponse<String> response = proxy.send(proxy.request("/v1/usage" + query)
                .header("Authorization", "Bearer " + ProxyWar.ISSUER_KEY).GET().build());
        assertEquals(200, response.statusCode(), query + ": " + response.body());
        return json(response.body());
    }

    private static List<String> tokenIds(JsonObject report) {
        List<String> ids = new ArrayList<>();
        for (JsonValue agent : report.getJsonArray("agents")) {
            for (JsonValue line : agent.asJsonObject().getJsonArray("tokens")) {
                ids.add(line.asJsonObject().getString("id"));
            }
        }
        return ids;
    }

    private String metrics() throws Exception {
        HttpResponse<String> response = proxy.send(proxy.request("/metrics")
                .header("Authorization", "Bearer " + ProxyWar.ISSUER_KEY).GET().build());
        assertEquals(200, response.statusCode(), response.body());
        return response.body();
    }

    /** One sample's value: {@code name} with exactly {@code labels} (as Prometheus prints them, or "" for none). */
    private double metric(String name, String labels) throws Exception {
        String text = metrics();
        String prefix = labels.isEmpty() ? name + " " : name + "{" + labels + "} ";
        return text.lines().filter(line -> line.startsWith(prefix))
                .mapToDouble(line -> Double.parseDouble(line.substring(prefix.length()))).findFirst()
                .orElseThrow(() -> new AssertionError("no " + prefix + "in\n" + text));
    }

    private static JsonObject json(String body) {
        return Json.createReader(new StringReader(body)).readObject();
    }

    private static void await(String what, Duration deadline, Callable<Boolean> condition) throws Exception {
        long end = System.nanoTime() + deadline.toNanos();
        while (!condition.call()) {
            if (System.nanoTime() - end > 0) {
                throw new AssertionError("not within " + deadline + ": " + what);
            }
            Thread.sleep(50);
        }
    }
}
