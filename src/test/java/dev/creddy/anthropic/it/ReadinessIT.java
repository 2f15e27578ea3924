package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.Poll;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyWar;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.StringReader;
import java.net.URL;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Readiness against liveness: {@code /health/ready} answers 503 naming the upstream client while its
 * one connection is taken and an exchange queues for it, and 200 again once it frees; {@code /health}
 * stays 200 throughout.
 */
@ExtendWith(ArquillianExtension.class)
@Timeout(90)
class ReadinessIT {

    private static final FakeAnthropic UPSTREAM = FakeAnthropic.shared();

    @Deployment(testable = false)
    static WebArchive proxy() {
        Map<String, String> settings = new HashMap<>(ProxyWar.standardSettings());
        settings.put("upstream-max-connections", "1");
        // How long an exchange may wait for a pooled connection: longer than the test holds it.
        settings.put("upstream-connect-timeout", "60s");
        return ProxyWar.withSettings("readiness.war", settings);
    }

    @ArquillianResource
    URL base;

    private static JsonObject json(HttpResponse<String> response) {
        return Json.createReader(new StringReader(response.body())).readObject();
    }

    private HttpResponse<String> awaitReadiness(ProxyHttp http, int status) throws Exception {
        HttpResponse<String> ready = Poll.until(Duration.ofSeconds(10),
                () -> http.send(http.request("/health/ready").GET().build()), r -> r.statusCode() == status);
        assertEquals(status, ready.statusCode(), ready.body());
        return ready;
    }

    @Test
    void readinessNamesAnExhaustedUpstreamPoolWhileLivenessStaysUp() throws Exception {
        UPSTREAM.reset();
        ProxyHttp http = new ProxyHttp(base);
        HttpResponse<String> ready = http.send(http.request("/health/ready").GET().build());
        assertEquals(200, ready.statusCode(), ready.body());
        assertEquals("{\"status\":\"ok\",\"checks\":{\"configuration\":{\"status\":\"ok\"},\"token_registry\":{\"status\":\"ok\"},"
                + "\"upstream_client\":{\"status\":\"ok\"}},"
                // Issue 19: the price table in force.
                + "\"price_table\":{\"version\":\"" + dev.creddy.anthropic.usage.PriceTable.builtIn().version()
                + "\",\"origin\":\"built-in\",\"models\":" + dev.creddy.anthropic.usage.PriceTable.builtIn().rows().size()
                + "}}", ready.body());
        assertEquals("application/json", ready.headers().firstValue("content-type").orElseThrow());

        String token = http.issueToken("readiness", "10m");
        CountDownLatch release = new CountDownLatch(1);
        UPSTREAM.respondWith((request, exchange) -> {
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            FakeAnthropic.standard(request, exchange);
        });
        HttpRequest count = http.request("/v1/messages/count_tokens").header("x-api-key", token)
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build();
        CompletableFuture<HttpResponse<String>> holding = null;
        CompletableFuture<HttpResponse<String>> queued = null;
        try {
            holding = http.sendAsync(count, HttpResponse.BodyHandlers.ofString());
            UPSTREAM.takeRequest();
            queued = http.sendAsync(count, HttpResponse.BodyHandlers.ofString());

            JsonObject unavailable = json(awaitReadiness(http, 503));
            assertEquals("unavailable", unavailable.getString("status"));
            assertEquals(List.of("upstream_client"), unavailable.getJsonArray("failing").getValuesAs(
                    (jakarta.json.JsonString s) -> s.getString()));
            JsonObject checks = unavailable.getJsonObject("checks");
            assertEquals("ok", checks.getJsonObject("configuration").getString("status"));
            assertEquals("ok", checks.getJsonObject("token_registry").getString("status"));
            String reason = checks.getJsonObject("upstream_client").getString("reason");
            assertTrue(reason.contains("exhausted") && reason.contains("1 of 1") && reason.contains("upstream-max-connections"),
                    reason);

            HttpResponse<String> live = http.send(http.request("/health").GET().build());
            assertEquals(200, live.statusCode(), "liveness does not depend on the pool: " + live.body());
        } finally {
            release.countDown();
        }
        assertEquals(200, holding.get(30, TimeUnit.SECONDS).statusCode());
        assertEquals(200, queued.get(30, TimeUnit.SECONDS).statusCode());
        UPSTREAM.takeRequest();
        assertEquals("ok", json(awaitReadiness(http, 200)).getString("status"));
    }
}
