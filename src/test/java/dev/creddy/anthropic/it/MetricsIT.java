package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.models.ModelListParams;
import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.Jmx;
import dev.creddy.anthropic.it.support.Poll;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyWar;
import dev.creddy.anthropic.it.support.Scrape;
import dev.creddy.anthropic.it.support.Wire;
import java.io.OutputStream;
import java.net.URL;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
 * The proxy in the monitoring ops already run: SDK traffic through the packaged WAR, then the same
 * counts read as a JMX console reads them (the platform MBean server this JVM shares with the
 * embedded Tomcat) and as Prometheus scrapes them ({@code GET /metrics}), which must match the
 * traffic exactly.
 */
@ExtendWith(ArquillianExtension.class)
@Timeout(90)
class MetricsIT {

    private static final FakeAnthropic UPSTREAM = FakeAnthropic.shared();
    private static final String CONTEXT = "/ops-metrics";
    private static final String METRICS_KEY = "metrics-test-key-77a1";
    private static final Pattern TOKEN_ID = Pattern.compile("\"id\":\"(tok_[A-Za-z0-9_-]+)\"");

    @Deployment(testable = false)
    static WebArchive proxy() {
        Map<String, String> settings = new HashMap<>(ProxyWar.standardSettings());
        settings.put("metrics-max-agents", "2");
        settings.put("metrics-key", METRICS_KEY);
        return ProxyWar.withSettings("ops-metrics.war", settings);
    }

    @ArquillianResource
    URL base;

    private ProxyHttp http;

    @BeforeEach
    void connect() {
        UPSTREAM.reset();
        http = new ProxyHttp(base);
    }

    /** One number as both outputs show it: a Prometheus series and an MBean attribute. */
    private record Reading(String prometheus, String[] labels, String mbean, String attribute) {
        static Reading of(String prometheus, String jmxName, String attribute, String... labels) {
            StringBuilder mbean = new StringBuilder("creddy:name=" + jmxName + ",context=\"" + CONTEXT + "\"");
            for (int i = 0; i < labels.length; i += 2) {
                mbean.append(',').append(labels[i]).append('=').append(labels[i + 1]);
            }
            return new Reading(prometheus, labels, mbean.toString(), attribute);
        }

        double fromPrometheus(Scrape scrape) {
            return scrape.value(prometheus, labels);
        }

        double fromJmx() {
            return Jmx.number(mbean, attribute);
        }

        @Override
        public String toString() {
            return mbean;
        }
    }

    private static Reading requests(String agent, String endpoint, String method, int status) {
        return Reading.of("creddy_requests_total", "requests", "Count",
                "agent", agent, "endpoint", endpoint, "method", method, "status", Integer.toString(status));
    }

    private static Reading validationFailures(String reason) {
        return Reading.of("creddy_token_validation_failures_total", "token.validation.failures", "Count", "reason", reason);
    }

    private static Reading registryCalls(String operation) {
        return Reading.of("creddy_token_registry_seconds_count", "token.registry", "Count", "operation", operation);
    }

    private static Reading tokensUsed(String agent, String kind) {
        return Reading.of("creddy_usage_tokens_total", "usage.tokens", "Count", "agent", agent, "kind", kind);
    }

    private static Reading responseHeads(String endpoint) {
        return Reading.of("creddy_upstream_time_to_head_seconds_count", "upstream.time.to.head", "Count", "endpoint", endpoint);
    }

    private Scrape scrape() throws Exception {
        HttpResponse<String> response = http.send(http.request("/metrics")
                .header("Authorization", "Bearer " + METRICS_KEY).GET().build());
        assertEquals(200, response.statusCode(), response.body());
        return Scrape.parse(response.body());
    }

    /** Waits until every reading has moved by exactly its expected amount in both outputs, then asserts it. */
    private void assertDeltas(Map<Reading, Double> before, Scrape scrapeBefore, Map<Reading, Double> expected)
            throws Exception {
        List<String> wrong = Poll.until(Duration.ofSeconds(10), () -> {
            List<String> mismatches = new ArrayList<>();
            Scrape now = scrape();
            for (Map.Entry<Reading, Double> expectation : expected.entrySet()) {
                Reading reading = expectation.getKey();
                double jmx = reading.fromJmx() - before.get(reading);
                double prometheus = reading.fromPrometheus(now) - reading.fromPrometheus(scrapeBefore);
                if (jmx != expectation.getValue() || prometheus != expectation.getValue()) {
                    mismatches.add(reading + ": expected +" + expectation.getValue() + ", JMX +" + jmx + ", Prometheus +"
                            + prometheus);
                }
            }
            return mismatches;
        }, List::isEmpty);
        assertTrue(wrong.isEmpty(), String.join("\n", wrong));
    }

    private AnthropicClient sdk(String token) {
        return AnthropicOkHttpClient.builder().baseUrl(http.base()).apiKey(token).maxRetries(0)
                .timeout(Duration.ofSeconds(30)).build();
    }

    private static MessageCreateParams hello() {
        return MessageCreateParams.builder().model("claude-sonnet-4-5").maxTokens(64L).addUserMessage("Hello").build();
    }

    private static int utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8).length;
    }

    @Test
    void countsMatchTheTrafficExactlyInJmxAndPrometheus() throws Exception {
        Map<Reading, Double> expected = new LinkedHashMap<>();
        expected.put(requests("none", "tokens", "POST", 201), 3.0);
        expected.put(requests("alpha", "messages", "POST", 200), 2.0);
        expected.put(requests("beta", "messages", "POST", 200), 1.0);
        expected.put(requests("beta", "count_tokens", "POST", 200), 1.0);
        // Past metrics-max-agents=2, a third agent shares "other".
        expected.put(requests("other", "models", "GET", 200), 1.0);
        expected.put(requests("gamma", "models", "GET", 200), 0.0);
        expected.put(requests("none", "messages", "POST", 401), 2.0);
        expected.put(requests("none", "tokens", "DELETE", 204), 1.0);
        expected.put(requests("none", "models", "GET", 401), 1.0);
        expected.put(Reading.of("creddy_tokens_issued_total", "tokens.issued", "Count"), 3.0);
        expected.put(Reading.of("creddy_tokens_revoked_total", "tokens.revoked", "Count"), 1.0);
        expected.put(Reading.of("creddy_tokens_active", "tokens.active", "Value"), 2.0);
        expected.put(validationFailures("unknown"), 2.0);
        expected.put(validationFailures("missing"), 1.0);
        expected.put(validationFailures("conflicting"), 0.0);
        expected.put(registryCalls("issue"), 3.0);
        expected.put(registryCalls("validate"), 7.0);
        expected.put(registryCalls("revoke"), 1.0);
        expected.put(responseHeads("messages"), 3.0);
        expected.put(responseHeads("count_tokens"), 1.0);
        expected.put(responseHeads("models"), 1.0);
        expected.put(Reading.of("creddy_exchange_duration_seconds_count", "exchange.duration", "Count",
                "endpoint", "messages", "outcome", "completed"), 3.0);
        expected.put(Reading.of("creddy_streams_open", "streams.open", "Value"), 0.0);
        // The fake reports 12 input and 6 output tokens per message; count_tokens uses none.
        expected.put(tokensUsed("alpha", "input"), 24.0);
        expected.put(tokensUsed("alpha", "output"), 12.0);
        expected.put(tokensUsed("beta", "input"), 12.0);
        expected.put(tokensUsed("beta", "output"), 6.0);
        expected.put(tokensUsed("alpha", "cache_read"), 0.0);
        Reading bytesIn = Reading.of("creddy_forwarded_bytes_total", "forwarded.bytes", "Count", "direction", "in");
        Reading bytesOut = Reading.of("creddy_forwarded_bytes_total", "forwarded.bytes", "Count", "direction", "out");

        Scrape scrapeBefore = scrape();
        Map<Reading, Double> before = new HashMap<>();
        for (Reading reading : expected.keySet()) {
            before.put(reading, reading.fromJmx());
        }
        before.put(bytesIn, bytesIn.fromJmx());
        before.put(bytesOut, bytesOut.fromJmx());

        String alpha = http.issueToken("alpha", "10m");
        String beta = http.issueToken("beta", "10m");
        HttpResponse<String> gammaIssued = http.requestToken("{\"ttl\":\"10m\",\"agent_name\":\"gamma\"}");
        assertEquals(201, gammaIssued.statusCode());
        String gamma = gammaIssued.body().replaceAll(".*\"token\":\"(crd_[^\"]+)\".*", "$1");
        Matcher gammaId = TOKEN_ID.matcher(gammaIssued.body());
        assertTrue(gammaId.find());

        sdk(alpha).messages().create(hello());
        sdk(alpha).messages().create(hello());
        sdk(beta).messages().create(hello());
        HttpResponse<String> counted = http.send(http.request("/v1/messages/count_tokens").header("x-api-key", beta)
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"claude-sonnet-4-5\",\"messages\":[]}")).build());
        assertEquals(200, counted.statusCode());
        sdk(gamma).models().list(ModelListParams.builder().limit(10L).build());

        long bodiesIn = 0;
        for (int i = 0; i < 5; i++) {
            bodiesIn += UPSTREAM.takeRequest().body().length;
        }
        long bodiesOut = 3L * utf8(Wire.message("msg_fake_01", "Hello from the fake")) + utf8("{\"input_tokens\":12}")
                + utf8(Wire.modelList());

        assertEquals(401, http.send(http.request("/v1/messages").header("x-api-key", "crd_" + "A".repeat(43))
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build()).statusCode());
        assertEquals(401, http.send(http.request("/v1/messages")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build()).statusCode());
        assertEquals(204, http.send(http.request("/v1/tokens/" + gammaId.group(1))
                .header("Authorization", "Bearer " + ProxyWar.ISSUER_KEY).DELETE().build()).statusCode());
        assertEquals(401, http.send(http.request("/v1/models").header("x-api-key", gamma).GET().build()).statusCode());
        assertEquals(0, UPSTREAM.pendingRequests(), "refused requests never reach the upstream");

        expected.put(bytesIn, (double) bodiesIn);
        expected.put(bytesOut, (double) bodiesOut);
        assertDeltas(before, scrapeBefore, expected);
        assertTrue(bodiesIn > 0, "the SDK sent bodies");
    }

    @Test
    void poolAndRegistryGaugesAreShown() throws Exception {
        Scrape scrape = scrape();
        // The pool's size is the default of upstream-max-connections.
        assertEquals(1024.0, scrape.value("creddy_upstream_pool", "state", "max"));
        assertEquals(1024.0, Jmx.number("creddy:name=upstream.pool,context=\"" + CONTEXT + "\",state=max", "Value"));
        for (String state : new String[] {"leased", "pending", "available"}) {
            assertTrue(scrape.has("creddy_upstream_pool", "state", state), state);
            assertFalse(Jmx.names("creddy:name=upstream.pool,context=\"" + CONTEXT + "\",state=" + state).isEmpty(), state);
        }
        assertTrue(scrape.has("creddy_tokens_active"));
        assertTrue(scrape.has("creddy_tokens_expired_total"), "counters exist before their first event");
        assertTrue(scrape.has("creddy_token_validation_failures_total", "reason", "malformed"));
        assertFalse(Jmx.names("creddy:type=UpstreamPool,context=\"" + CONTEXT + "\"").isEmpty(), "the pool MBean stays");
    }

    @Test
    void theOpenStreamsGaugeFollowsAStreamInFlight() throws Exception {
        String token = http.issueToken("alpha", "10m");
        List<Wire.Event> events = Wire.standardEvents("held open");
        CountDownLatch firstEventSent = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        UPSTREAM.respondWith((request, exchange) -> {
            exchange.getResponseHeaders().set("content-type", "text/event-stream; charset=utf-8");
            exchange.getResponseHeaders().set("request-id", UPSTREAM.nextRequestId());
            exchange.sendResponseHeaders(200, 0);
            OutputStream out = exchange.getResponseBody();
            out.write(events.get(0).bytes());
            out.flush();
            firstEventSent.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (Wire.Event event : events.subList(1, events.size())) {
                out.write(event.bytes());
            }
            out.close();
        });
        String gauge = "creddy:name=streams.open,context=\"" + CONTEXT + "\"";
        CompletableFuture<HttpResponse<String>> stream = null;
        try {
            stream = http.sendAsync(http.request("/v1/messages").header("x-api-key", token)
                    .header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"stream\":true}")).build(), HttpResponse.BodyHandlers.ofString());
            assertTrue(firstEventSent.await(10, TimeUnit.SECONDS));
            awaitValue(gauge, "creddy_streams_open", 1.0);
        } finally {
            release.countDown();
        }
        assertEquals(200, stream.get(30, TimeUnit.SECONDS).statusCode());
        awaitValue(gauge, "creddy_streams_open", 0.0);
        UPSTREAM.takeRequest();
    }

    private void awaitValue(String mbean, String series, double expected) throws Exception {
        double[] seen = Poll.until(Duration.ofSeconds(10), () -> new double[] {Jmx.number(mbean, "Value"), scrape().value(series)},
                values -> values[0] == expected && values[1] == expected);
        assertEquals(expected, seen[0], mbean);
        assertEquals(expected, seen[1], series);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "none, 401",
            "wrong bearer, 401",
            "basic without a realm, 401",
            "an agent token, 401",
            "issuer key, 200",
            "metrics key, 200",
    })
    void metricsNeedTheMetricsKeyTheIssuerKeyOrTheRole(String credential, int status) throws Exception {
        HttpRequest.Builder request = http.request("/metrics").GET();
        switch (credential) {
            case "none" -> { }
            case "wrong bearer" -> request.header("Authorization", "Bearer " + METRICS_KEY + "x");
            case "basic without a realm" -> request.header("Authorization", "Basic b3BzOm9wcy1wYXNz");
            case "an agent token" -> request.header("Authorization", "Bearer " + http.issueToken("scraper", "5m"));
            case "issuer key" -> request.header("Authorization", "Bearer " + ProxyWar.ISSUER_KEY);
            case "metrics key" -> request.header("Authorization", "Bearer " + METRICS_KEY);
            default -> throw new IllegalArgumentException(credential);
        }
        HttpResponse<String> response = http.send(request.build());
        assertEquals(status, response.statusCode(), response.body());
        if (status == 200) {
            // Tomcat re-serialises Content-Type without the spaces; the media type and parameters stay.
            assertEquals("text/plain;version=0.0.4;charset=utf-8",
                    response.headers().firstValue("content-type").orElseThrow().replace(" ", "").toLowerCase(java.util.Locale.ROOT));
            assertTrue(response.body().contains("# TYPE creddy_requests_total counter"), response.body());
        } else {
            assertTrue(response.body().startsWith("{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\""),
                    response.body());
            assertFalse(response.body().contains("creddy_"), "nothing of the metrics leaks");
            assertEquals("Bearer realm=\"creddy-metrics\"", response.headers().firstValue("www-authenticate").orElseThrow());
        }
    }

    @Test
    void onlyGetReadsMetrics() throws Exception {
        HttpResponse<String> response = http.send(http.request("/metrics").header("Authorization", "Bearer " + METRICS_KEY)
                .POST(HttpRequest.BodyPublishers.ofString("")).build());
        assertEquals(405, response.statusCode());
        assertEquals("GET", response.headers().firstValue("allow").orElseThrow());
    }
}
