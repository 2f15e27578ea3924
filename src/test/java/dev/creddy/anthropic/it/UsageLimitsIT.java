package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.PermissionDeniedException;
import com.anthropic.errors.RateLimitException;
import com.anthropic.models.messages.MessageCountTokensParams;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.FakeAnthropic.Received;
import dev.creddy.anthropic.it.support.LogCapture;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyWar;
import dev.creddy.anthropic.it.support.StreamGate;
import dev.creddy.anthropic.it.support.Wire;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringReader;
import java.net.URL;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.GZIPOutputStream;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.OperateOnDeployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Per-token limits and usage metering, end to end: the official Java SDK, the packaged WAR in
 * embedded Tomcat (once with metering on, once off), and the fake Anthropic API reporting known usage.
 */
@ExtendWith(ArquillianExtension.class)
@Timeout(90)
class UsageLimitsIT {

    private static final FakeAnthropic UPSTREAM = FakeAnthropic.shared();
    private static final LogCapture LOGS = LogCapture.start();
    private static final List<String> ISSUED = new CopyOnWriteArrayList<>();

    @Deployment(name = "metered", order = 1, testable = false)
    static WebArchive metered() {
        return ProxyWar.withSettings("usage.war", ProxyWar.standardSettings());
    }

    @Deployment(name = "unmetered", order = 2, testable = false)
    static WebArchive unmetered() {
        Map<String, String> settings = new HashMap<>(ProxyWar.standardSettings());
        settings.put("usage-metering", "off");
        return ProxyWar.withSettings("usage-off.war", settings);
    }

    @Deployment(name = "defaults", order = 3, testable = false)
    static WebArchive withDefaultLimits() {
        Map<String, String> settings = new HashMap<>(ProxyWar.standardSettings());
        settings.put("default-limits", "{\"rpm\":1000,\"models\":[\"claude-haiku\"]}");
        return ProxyWar.withSettings("usage-defaults.war", settings);
    }

    @ArquillianResource
    @OperateOnDeployment("metered")
    URL meteredUrl;

    @ArquillianResource
    @OperateOnDeployment("defaults")
    URL defaultsUrl;

    @ArquillianResource
    @OperateOnDeployment("unmetered")
    URL unmeteredUrl;

    private ProxyHttp http;

    @BeforeEach
    void connect() {
        UPSTREAM.reset();
        http = new ProxyHttp(meteredUrl);
    }

    @AfterAll
    static void noSecretWasLogged() {
        LOGS.close();
        for (String text : LOGS.texts()) {
            assertFalse(text.contains(ProxyWar.REAL_KEY), "the real key was logged: " + text);
            for (String issued : ISSUED) {
                assertFalse(text.contains(issued.substring(4)), "a token was logged: " + text);
            }
        }
    }

    // --- helpers ------------------------------------------------------------------------------

    /** Issues a token with {@code body}'s fields (JSON object members, without braces); returns the parsed answer. */
    private JsonObject issue(ProxyHttp on, String agent, String limitFields) throws Exception {
        HttpResponse<String> response = on.requestToken("{\"ttl\":\"10m\",\"agent_name\":\"" + agent + "\""
                + (limitFields.isEmpty() ? "" : "," + limitFields) + "}");
        assertEquals(201, response.statusCode(), response.body());
        JsonObject issued = json(response.body());
        ISSUED.add(issued.getString("token"));
        return issued;
    }

    private static JsonObject json(String text) {
        return Json.createReader(new StringReader(text)).readObject();
    }

    private static AnthropicClient sdk(String base, String token) {
        return AnthropicOkHttpClient.builder().baseUrl(base).apiKey(token).maxRetries(0).timeout(Duration.ofSeconds(30)).build();
    }

    private static MessageCreateParams ask(String model) {
        return MessageCreateParams.builder().model(model).maxTokens(64L).addUserMessage("Hello").build();
    }

    private static void drain(StreamResponse<RawMessageStreamEvent> stream) {
        try (stream) {
            stream.stream().forEach(event -> { });
        }
    }

    private JsonObject self(String token) throws Exception {
        return self(http, token);
    }

    private static JsonObject self(ProxyHttp on, String token) throws Exception {
        HttpResponse<String> response = on.send(on.request("/v1/tokens/self").header("x-api-key", token).GET().build());
        assertEquals(200, response.statusCode(), response.body());
        return json(response.body());
    }

    private JsonObject usageReport(String query) throws Exception {
        HttpResponse<String> response = http.send(http.request("/v1/usage" + query)
                .header("Authorization", "Bearer " + ProxyWar.ISSUER_KEY).GET().build());
        assertEquals(200, response.statusCode(), response.body());
        return json(response.body());
    }

    /**
     * The usage is recorded when the exchange ends, which is just after the client has the last byte:
     * polls {@code /v1/tokens/self} until {@code requests} reaches {@code expected}.
     */
    private JsonObject awaitRecorded(String token, long expected) throws Exception {
        return awaitRecorded(http, token, expected);
    }

    private static JsonObject awaitRecorded(ProxyHttp on, String token, long expected) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            JsonObject total = self(on, token).getJsonObject("usage").getJsonObject("total");
            if (total.getJsonNumber("requests").longValue() >= expected || System.nanoTime() > deadline) {
                return total;
            }
            Thread.sleep(20);
        }
    }

    /** Fixed one-minute windows: a test that counts within one waits until the minute has room for it. */
    private static void awaitRoomInThisMinute(int seconds) throws InterruptedException {
        while (LocalTime.now(ZoneOffset.UTC).getSecond() > 60 - seconds) {
            Thread.sleep(200);
        }
    }

    private static void assertUsage(JsonObject usage, long requests, long input, long cacheCreation, long cacheRead, long output) {
        assertEquals(requests, usage.getJsonNumber("requests").longValue(), "requests in " + usage);
        assertEquals(input, usage.getJsonNumber("input_tokens").longValue(), "input_tokens in " + usage);
        assertEquals(cacheCreation, usage.getJsonNumber("cache_creation_input_tokens").longValue(), "cache creation in " + usage);
        assertEquals(cacheRead, usage.getJsonNumber("cache_read_input_tokens").longValue(), "cache read in " + usage);
        assertEquals(output, usage.getJsonNumber("output_tokens").longValue(), "output_tokens in " + usage);
        assertEquals(input + cacheCreation + cacheRead + output, usage.getJsonNumber("tokens").longValue());
    }

    // --- issuance -----------------------------------------------------------------------------

    @Test
    void theResponseEchoesTheEffectiveLimitsAndListingsShowThem() throws Exception {
        JsonObject issued = issue(http, "limits-echo", "\"rpm\":60,\"tpm\":40000,\"max_tokens_total\":2000000,"
                + "\"models\":[\"claude-sonnet-4\",\"claude-haiku\"]");
        assertEquals(60, issued.getInt("rpm"));
        assertEquals(40000, issued.getInt("tpm"));
        assertEquals(2_000_000, issued.getJsonNumber("max_tokens_total").longValue());
        assertEquals(List.of("claude-sonnet-4", "claude-haiku"), issued.getJsonArray("models").getValuesAs(
                jakarta.json.JsonString::getString));

        JsonObject nested = issue(http, "limits-nested", "\"limits\":{\"rpm\":5}");
        assertEquals(5, nested.getInt("rpm"));
        assertFalse(nested.containsKey("tpm"), "a limit that does not apply is left out: " + nested);

        JsonObject self = self(issued.getString("token"));
        assertEquals(60, self.getInt("rpm"));
        assertEquals(List.of("claude-sonnet-4", "claude-haiku"), self.getJsonArray("models").getValuesAs(
                jakarta.json.JsonString::getString));
        HttpResponse<String> list = http.send(http.request("/v1/tokens?limit=1000")
                .header("Authorization", "Bearer " + ProxyWar.ISSUER_KEY).GET().build());
        JsonObject listed = json(list.body()).getJsonArray("data").getValuesAs(JsonObject.class).stream()
                .filter(token -> token.getString("id").equals(issued.getString("id"))).findFirst().orElseThrow();
        assertEquals(40000, listed.getInt("tpm"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "\"rpm\":0", "\"rpm\":-1", "\"rpm\":1.5", "\"rpm\":\"60\"", "\"tpm\":1e3", "\"max_tokens_total\":true",
        "\"models\":[]", "\"models\":\"claude-haiku\"", "\"models\":[\"\"]", "\"models\":[\"claude haiku\"]",
        "\"models\":[7]", "\"limits\":{\"rpm\":1},\"rpm\":2", "\"limits\":{\"burst\":1}", "\"limits\":[]",
        "\"rpm\":10000000000000000000000"})
    void badLimitsAreRefusedWithWhatToFix(String fields) throws Exception {
        HttpResponse<String> response = http.requestToken("{\"agent_name\":\"bad-limits\"," + fields + "}");
        assertEquals(400, response.statusCode(), response.body());
        JsonObject error = json(response.body()).getJsonObject("error");
        assertEquals("invalid_request_error", error.getString("type"));
        assertTrue(error.getString("message").matches(".*(rpm|tpm|max_tokens_total|models|limits).*"), error.getString("message"));
    }

    // --- metering -----------------------------------------------------------------------------

    @Test
    void usageRecordedEqualsWhatTheUpstreamReportedExactly() throws Exception {
        JsonObject issued = issue(http, "metered-agent", "");
        String token = issued.getString("token");
        AnthropicClient client = sdk(http.base(), token);

        UPSTREAM.respondWith((request, exchange) -> FakeAnthropic.json(exchange, 200,
                Wire.messageWithUsage("plain", 1234, 56, 78, 910)));
        client.messages().create(ask("claude-sonnet-4-5"));
        UPSTREAM.takeRequest();

        UPSTREAM.respondWith((request, exchange) -> FakeAnthropic.streamMessage(exchange,
                Wire.eventsWithUsage(321, 11, 22, 654, "a", "streamed", "answer"), null));
        drain(client.messages().createStreaming(ask("claude-sonnet-4-5")));
        UPSTREAM.takeRequest();

        // count_tokens answers with input_tokens too, but nothing is used: a request only.
        UPSTREAM.reset();
        client.messages().countTokens(MessageCountTokensParams.builder().model("claude-sonnet-4-5")
                .addUserMessage("Hello").build());
        UPSTREAM.takeRequest();

        JsonObject total = awaitRecorded(token, 3);
        assertUsage(total, 3, 1234 + 321, 56 + 11, 78 + 22, 910 + 654);
        assertEquals(0, total.getJsonNumber("errors").longValue());
        // Without a counted limit nothing is admitted, so the window's requests are not counted: left out, not 0.
        JsonObject minute = self(token).getJsonObject("usage").getJsonObject("current_minute");
        assertFalse(minute.containsKey("requests"), minute.toString());
        assertTrue(minute.containsKey("tokens") && minute.containsKey("resets_at"), minute.toString());

        JsonObject report = usageReport("?agent=metered-agent&window=1h");
        assertEquals("metered-agent", report.getString("agent"));
        JsonObject agent = report.getJsonArray("agents").getJsonObject(0);
        assertEquals("metered-agent", agent.getString("agent_name"));
        assertUsage(agent.getJsonObject("usage"), 3, 1234 + 321, 56 + 11, 78 + 22, 910 + 654);
        JsonObject line = agent.getJsonArray("tokens").getJsonObject(0);
        assertEquals(issued.getString("id"), line.getString("id"));
        assertUsage(line.getJsonObject("usage"), 3, 1234 + 321, 56 + 11, 78 + 22, 910 + 654);
        assertEquals(1, report.getJsonArray("agents").size(), "only the agent asked for: " + report);
    }

    @Test
    void errorsAreCountedAsRequestsThatFailed() throws Exception {
        String token = issue(http, "erring-agent", "").getString("token");
        UPSTREAM.respondWith((request, exchange) -> FakeAnthropic.json(exchange, 529,
                Wire.error("overloaded_error", "Overloaded")));
        assertThrows(RuntimeException.class, () -> sdk(http.base(), token).messages().create(ask("claude-sonnet-4-5")));
        JsonObject total = awaitRecorded(token, 1);
        assertEquals(1, total.getJsonNumber("errors").longValue());
        assertEquals(0, total.getJsonNumber("tokens").longValue());
    }

    @Test
    void aGzipResponseIsMeteredFromACopyWhileItsBytesPassUntouched() throws Exception {
        String token = issue(http, "gzip-agent", "").getString("token");
        byte[] gzipped = gzip(Wire.messageWithUsage("compressed", 4000, 0, 300, 77).getBytes(StandardCharsets.UTF_8));
        UPSTREAM.respondWith((request, exchange) -> {
            exchange.getResponseHeaders().set("content-type", "application/json");
            exchange.getResponseHeaders().set("content-encoding", "gzip");
            exchange.getResponseHeaders().set("request-id", UPSTREAM.nextRequestId());
            exchange.sendResponseHeaders(200, gzipped.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(gzipped);
            }
        });
        HttpResponse<byte[]> response = http.send(http.request("/v1/messages").header("x-api-key", token)
                .header("content-type", "application/json").header("accept-encoding", "br, gzip;q=0.9, zstd")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":64,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, response.statusCode());
        assertEquals("gzip", response.headers().firstValue("content-encoding").orElse(null));
        assertArrayEquals(gzipped, response.body(), "the compressed bytes reach the client as the upstream sent them");
        Received received = UPSTREAM.takeRequest();
        assertEquals("gzip;q=0.9", received.header("accept-encoding").replace(" ", ""),
                "the upstream is asked only for codings the meter can read");
        assertUsage(awaitRecorded(token, 1), 1, 4000, 0, 300, 77);
    }

    @Test
    void theStreamsBytesAndPacingAreTheSameWithMeteringOnAndOff() throws Exception {
        List<Wire.Event> events = Wire.eventsWithUsage(40, 0, 0, 9, "one", "two", "three", "four", "five", "six");
        byte[] expected = streamBytes(events);
        for (URL proxy : List.of(meteredUrl, unmeteredUrl)) {
            ProxyHttp on = new ProxyHttp(proxy);
            String token = issue(on, "pacing-agent", "").getString("token");
            int surfaced = Wire.surfaced(events);
            StreamGate gate = new StreamGate(surfaced, 5_000);
            UPSTREAM.respondWith((request, exchange) -> FakeAnthropic.streamMessage(exchange, events, gate));
            try (StreamResponse<RawMessageStreamEvent> stream = sdk(on.base(), token).messages()
                    .createStreaming(ask("claude-sonnet-4-5"))) {
                int index = 0;
                for (RawMessageStreamEvent event : (Iterable<RawMessageStreamEvent>) stream.stream()::iterator) {
                    gate.clientSaw(index++);
                }
            }
            assertEquals(0, gate.stalls(), proxy + ": every event reached the client before the upstream wrote the next one");
            UPSTREAM.takeRequest();

            UPSTREAM.respondWith((request, exchange) -> FakeAnthropic.streamMessage(exchange, events, null));
            HttpResponse<byte[]> raw = on.send(on.request("/v1/messages").header("x-api-key", token)
                    .header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":64,"
                            + "\"stream\":true,\"messages\":[]}")).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertArrayEquals(expected, raw.body(), proxy + ": the stream's bytes are the upstream's");
            UPSTREAM.takeRequest();

            JsonObject total = awaitRecorded(on, token, 2);
            if (proxy == meteredUrl) {
                assertUsage(total, 2, 80, 0, 0, 18);
            } else {
                assertUsage(total, 2, 0, 0, 0, 0);
            }
        }
    }

    @Test
    void withMeteringOffTheClientsAcceptEncodingPassesUnchanged() throws Exception {
        ProxyHttp off = new ProxyHttp(unmeteredUrl);
        String token = issue(off, "unmetered-agent", "").getString("token");
        off.send(off.request("/v1/messages").header("x-api-key", token).header("content-type", "application/json")
                .header("accept-encoding", "br, gzip").POST(HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":64,\"messages\":[]}")).build());
        assertEquals("br, gzip", UPSTREAM.takeRequest().header("accept-encoding"));
    }

    // --- limits -------------------------------------------------------------------------------

    @Test
    void theRequestAfterRpmInOneMinuteGets429WithRetryAfter() throws Exception {
        awaitRoomInThisMinute(15);
        String token = issue(http, "rpm-agent", "\"rpm\":3").getString("token");
        AnthropicClient client = sdk(http.base(), token);
        for (int i = 0; i < 3; i++) {
            client.messages().create(ask("claude-sonnet-4-5"));
            UPSTREAM.takeRequest();
        }
        HttpResponse<String> refused = http.send(http.request("/v1/messages").header("x-api-key", token)
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":64,\"messages\":[]}")).build());
        assertEquals(429, refused.statusCode(), refused.body());
        JsonObject error = json(refused.body()).getJsonObject("error");
        assertEquals("rate_limit_error", error.getString("type"));
        assertTrue(error.getString("message").contains("3 requests per minute"), error.getString("message"));
        long retryAfter = Long.parseLong(refused.headers().firstValue("retry-after").orElseThrow());
        assertTrue(retryAfter >= 1 && retryAfter <= 60, "retry-after " + retryAfter);
        assertEquals("true", refused.headers().firstValue("x-should-retry").orElse(null));
        assertEquals("3", refused.headers().firstValue("creddy-ratelimit-requests-limit").orElse(null));
        assertEquals("0", refused.headers().firstValue("creddy-ratelimit-requests-remaining").orElse(null));
        Instant reset = Instant.parse(refused.headers().firstValue("creddy-ratelimit-requests-reset").orElseThrow());
        assertEquals(0, reset.getEpochSecond() % 60, "the window ends on a minute: " + reset);
        assertEquals(0, UPSTREAM.pendingRequests(), "the refused request never reached the upstream");

        assertThrows(RateLimitException.class, () -> client.messages().create(ask("claude-sonnet-4-5")),
                "the SDK sees a rate limit error");
        assertEquals(3, self(token).getJsonObject("usage").getJsonObject("current_minute").getJsonNumber("requests").longValue(),
                "the admitted requests of this minute");
    }

    @Test
    void forwardedResponsesTellWhereTheTokenStands() throws Exception {
        awaitRoomInThisMinute(15);
        String token = issue(http, "headers-agent", "\"rpm\":10,\"tpm\":100000,\"max_tokens_total\":500000").getString("token");
        HttpResponse<String> first = http.listModels(token);
        assertEquals(200, first.statusCode());
        UPSTREAM.takeRequest();
        assertEquals("10", first.headers().firstValue("creddy-ratelimit-requests-limit").orElse(null));
        assertEquals("9", first.headers().firstValue("creddy-ratelimit-requests-remaining").orElse(null));
        assertEquals("100000", first.headers().firstValue("creddy-ratelimit-tokens-limit").orElse(null));
        assertEquals("500000", first.headers().firstValue("creddy-budget-tokens-remaining").orElse(null));
    }

    @Test
    void aBudgetIsEnforcedAcrossStreams() throws Exception {
        String token = issue(http, "budget-agent", "\"max_tokens_total\":100").getString("token");
        AnthropicClient client = sdk(http.base(), token);
        UPSTREAM.respondWith((request, exchange) -> FakeAnthropic.streamMessage(exchange,
                Wire.eventsWithUsage(40, 0, 5, 15, "spend"), null));
        drain(client.messages().createStreaming(ask("claude-sonnet-4-5")));
        UPSTREAM.takeRequest();
        awaitRecorded(token, 1);
        drain(client.messages().createStreaming(ask("claude-sonnet-4-5")));
        UPSTREAM.takeRequest();
        awaitRecorded(token, 2);

        RateLimitException refused = assertThrows(RateLimitException.class,
                () -> drain(client.messages().createStreaming(ask("claude-sonnet-4-5"))));
        assertTrue(refused.getMessage().contains("budget"), refused.getMessage());
        assertEquals("false", refused.headers().values("x-should-retry").get(0), "a spent budget never refills");
        assertEquals(0, UPSTREAM.pendingRequests(), "the refused stream never reached the upstream");
        JsonObject self = self(token);
        assertEquals(120, self.getJsonObject("usage").getJsonObject("total").getJsonNumber("tokens").longValue());
    }

    @Test
    void tokensPerMinuteCountWhatTheResponsesUsed() throws Exception {
        awaitRoomInThisMinute(15);
        String token = issue(http, "tpm-agent", "\"tpm\":50").getString("token");
        AnthropicClient client = sdk(http.base(), token);
        UPSTREAM.respondWith((request, exchange) -> FakeAnthropic.json(exchange, 200,
                Wire.messageWithUsage("big", 40, 0, 0, 20)));
        client.messages().create(ask("claude-sonnet-4-5"));
        UPSTREAM.takeRequest();
        awaitRecorded(token, 1);
        RateLimitException refused = assertThrows(RateLimitException.class,
                () -> client.messages().create(ask("claude-sonnet-4-5")));
        assertTrue(refused.getMessage().contains("tokens per minute"), refused.getMessage());
        assertEquals(0, UPSTREAM.pendingRequests());
    }

    @Test
    void aDisallowedModelIsRefusedNamingItAndNeverReachesTheUpstream() throws Exception {
        String token = issue(http, "haiku-only", "\"models\":[\"claude-haiku\"]").getString("token");
        AnthropicClient client = sdk(http.base(), token);
        PermissionDeniedException refused = assertThrows(PermissionDeniedException.class,
                () -> client.messages().create(ask("claude-sonnet-4-5")));
        assertTrue(refused.getMessage().contains("claude-sonnet-4-5"), refused.getMessage());
        assertEquals("false", refused.headers().values("x-should-retry").get(0));
        assertThrows(PermissionDeniedException.class, () -> drain(client.messages().createStreaming(ask("claude-opus-4-1"))));

        client.messages().create(ask("claude-haiku-4-5"));
        Received allowed = UPSTREAM.takeRequest();
        assertTrue(allowed.bodyText().contains("claude-haiku-4-5"), "the first request the upstream sees is the allowed one");
        assertEquals(0, UPSTREAM.pendingRequests());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        // An escape spells the same model.
        "{\"model\":\"\\u0063laude-opus-4-1\",\"max_tokens\":64,\"messages\":[]}",
        // The upstream may read the last of two: any disallowed one refuses.
        "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":64,\"messages\":[],\"model\":\"claude-opus-4-1\"}",
        // Not a string, and not JSON at all: nothing to check is nothing to forward.
        "{\"model\":[\"claude-haiku-4-5\"],\"max_tokens\":64,\"messages\":[]}",
        "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":64,\"messages\":[}",
    })
    void aBodyThatHidesOrGarblesItsModelIsRefused(String body) throws Exception {
        String token = issue(http, "haiku-only-raw", "\"models\":[\"claude-haiku\"]").getString("token");
        HttpResponse<String> response = http.send(http.request("/v1/messages").header("x-api-key", token)
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build());
        assertTrue(response.statusCode() == 403 || response.statusCode() == 400, response.statusCode() + " " + response.body());
        assertEquals("false", response.headers().firstValue("x-should-retry").orElse(null));
        assertEquals(0, UPSTREAM.pendingRequests(), "nothing reached the upstream");
    }

    @Test
    void aModelAfterALargeBodyIsStillChecked() throws Exception {
        String token = issue(http, "haiku-only-large", "\"models\":[\"claude-haiku\"]").getString("token");
        String padding = "x".repeat(300_000);
        // The Python SDK writes the keys in alphabetical order: messages (large) before model.
        String allowedBody = "{\"max_tokens\":64,\"messages\":[{\"role\":\"user\",\"content\":\"" + padding
                + "\"}],\"model\":\"claude-haiku-4-5\"}";
        HttpResponse<String> allowed = http.send(http.request("/v1/messages").header("x-api-key", token)
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(allowedBody)).build());
        assertEquals(200, allowed.statusCode(), allowed.body());
        assertEquals(allowedBody, UPSTREAM.takeRequest().bodyText(), "the body went up whole and unchanged");

        HttpResponse<String> refused = http.send(http.request("/v1/messages").header("x-api-key", token)
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        allowedBody.replace("claude-haiku-4-5", "claude-opus-4-1"))).build());
        assertEquals(403, refused.statusCode(), refused.body());
        assertTrue(refused.body().contains("claude-opus-4-1"));
        assertEquals(0, UPSTREAM.pendingRequests(), "the upstream never received a whole request");
    }

    @Test
    void aBatchCannotCarryADisallowedModel() throws Exception {
        String token = issue(http, "haiku-only-batch", "\"models\":[\"claude-haiku\"],\"endpoints\":[\"batches\"]").getString("token");
        String body = "{\"requests\":[{\"custom_id\":\"a\",\"params\":{\"model\":\"claude-haiku-4-5\",\"max_tokens\":8,"
                + "\"messages\":[]}},{\"custom_id\":\"b\",\"params\":{\"model\":\"claude-opus-4-1\",\"max_tokens\":8,"
                + "\"messages\":[]}}]}";
        HttpResponse<String> response = http.send(http.request("/v1/messages/batches").header("x-api-key", token)
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build());
        assertEquals(403, response.statusCode(), response.body());
        assertTrue(response.body().contains("claude-opus-4-1"));
        assertEquals(0, UPSTREAM.pendingRequests());
    }

    @Test
    void limitsLeftOutTakeTheConfiguredDefaultsAndNullLiftsOne() throws Exception {
        ProxyHttp withDefaults = new ProxyHttp(defaultsUrl);
        JsonObject defaulted = issue(withDefaults, "defaulted", "");
        assertEquals(1000, defaulted.getInt("rpm"));
        assertEquals(List.of("claude-haiku"), defaulted.getJsonArray("models").getValuesAs(jakarta.json.JsonString::getString));
        JsonObject own = issue(withDefaults, "own-limits", "\"rpm\":5,\"models\":null");
        assertEquals(5, own.getInt("rpm"));
        assertFalse(own.containsKey("models"), "null lifts the default allowlist: " + own);
        assertThrows(PermissionDeniedException.class,
                () -> sdk(withDefaults.base(), defaulted.getString("token")).messages().create(ask("claude-sonnet-4-5")));
        sdk(withDefaults.base(), own.getString("token")).messages().create(ask("claude-sonnet-4-5"));
        assertTrue(UPSTREAM.takeRequest().bodyText().contains("claude-sonnet-4-5"));
        assertEquals(0, UPSTREAM.pendingRequests());
    }

    @Test
    void theAuditLineCarriesTheUsage() throws Exception {
        String token = issue(http, "audited-usage", "").getString("token");
        UPSTREAM.respondWith((request, exchange) -> FakeAnthropic.json(exchange, 200,
                Wire.messageWithUsage("audited", 12, 3, 4, 5)));
        sdk(http.base(), token).messages().create(ask("claude-sonnet-4-5"));
        UPSTREAM.takeRequest();
        awaitRecorded(token, 1);
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        JsonObject line = null;
        while (line == null && System.nanoTime() < deadline) {
            line = LOGS.messagesOf("creddy.audit").stream().map(UsageLimitsIT::json)
                    .filter(o -> "forward".equals(o.getString("event")) && "audited-usage".equals(o.getString("agent", "")))
                    .findFirst().orElse(null);
            Thread.sleep(20);
        }
        assertTrue(line != null, "an audit line for the request");
        assertEquals(12, line.getInt("input_tokens"));
        assertEquals(5, line.getInt("output_tokens"));
        assertEquals(3, line.getInt("cache_creation_input_tokens"));
        assertEquals(4, line.getInt("cache_read_input_tokens"));
        assertNull(line.get("model"), "the model is read only for an allowlist");
    }

    @Test
    void theUsageEndpointIsForIssuersAndRefusesBadWindows() throws Exception {
        HttpResponse<String> anonymous = http.send(http.request("/v1/usage").GET().build());
        assertEquals(401, anonymous.statusCode(), anonymous.body());
        String token = issue(http, "not-an-issuer", "").getString("token");
        HttpResponse<String> agent = http.send(http.request("/v1/usage").header("Authorization", "Bearer " + token).GET().build());
        assertTrue(agent.statusCode() == 401 || agent.statusCode() == 403, agent.body());
        for (String query : List.of("?window=-1h", "?window=banana", "?from=yesterday", "?from=2026-11-26T10:00:00Z&window=1h",
                "?from=2026-11-26T10:00:00Z&to=2026-11-26T09:00:00Z", "?window=100000h")) {
            HttpResponse<String> bad = http.send(http.request("/v1/usage" + query)
                    .header("Authorization", "Bearer " + ProxyWar.ISSUER_KEY).GET().build());
            assertEquals(400, bad.statusCode(), query + ": " + bad.body());
            assertEquals("invalid_request_error", json(bad.body()).getJsonObject("error").getString("type"));
        }
        JsonObject empty = usageReport("?agent=nobody-by-this-name");
        assertEquals(0, empty.getJsonArray("agents").size());
        assertEquals(0, empty.getJsonObject("total").getJsonNumber("requests").longValue());
    }

    private static byte[] streamBytes(List<Wire.Event> events) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (Wire.Event event : events) {
            bytes.write(event.bytes());
        }
        return bytes.toByteArray();
    }

    private static byte[] gzip(byte[] plain) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(plain);
        }
        return bytes.toByteArray();
    }
}
