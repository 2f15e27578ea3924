package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.HttpResponseFor;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.AnthropicServiceException;
import com.anthropic.errors.OverloadedException;
import com.anthropic.errors.UnauthorizedException;
import com.anthropic.models.messages.ContentBlock;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.models.ModelListPage;
import com.anthropic.models.models.ModelListParams;
import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.FakeAnthropic.Received;
import dev.creddy.anthropic.it.support.LogCapture;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyObjects;
import dev.creddy.anthropic.it.support.ProxyWar;
import dev.creddy.anthropic.it.support.StreamGate;
import dev.creddy.anthropic.it.support.Wire;
import java.io.OutputStream;
import java.net.URL;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import org.jboss.arquillian.container.test.api.Deployment;
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
 * The whole path with real parts: the official Java SDK, the packaged WAR in embedded Tomcat, and a
 * fake Anthropic API speaking the real wire format.
 */
@ExtendWith(ArquillianExtension.class)
@Timeout(60)
class ForwardingIT {

    private static final FakeAnthropic UPSTREAM = FakeAnthropic.shared();

    @Deployment(testable = false)
    static WebArchive proxy() {
        return ProxyWar.withSettings("forwarding.war", ProxyWar.standardSettings());
    }

    @ArquillianResource
    URL base;

    private static final LogCapture LOGS = LogCapture.start();
    private static final List<String> ISSUED = new java.util.concurrent.CopyOnWriteArrayList<>();

    private ProxyHttp http;
    private String token;

    /** Nothing this class did may have put the real key or any token it issued in a log record. */
    @AfterAll
    static void noSecretWasLogged() {
        LOGS.close();
        List<String> texts = LOGS.texts();
        assertFalse(texts.isEmpty(), "the capture saw the suite's log records");
        for (String text : texts) {
            assertFalse(text.contains(ProxyWar.REAL_KEY), "the real key was logged: " + text);
            assertFalse(text.contains(ProxyWar.ISSUER_KEY), "the issuer key was logged: " + text);
            for (String issued : ISSUED) {
                assertFalse(text.contains(issued.substring(4)), "a token was logged: " + text);
            }
        }
    }

    @BeforeEach
    void issueToken() throws Exception {
        UPSTREAM.reset();
        http = new ProxyHttp(base);
        token = http.issueTokenForEveryEndpoint("forwarding-it", "10m");
        ISSUED.add(token);
    }

    private AnthropicClient sdk(AnthropicOkHttpClient.Builder builder) {
        return builder.baseUrl(http.base()).maxRetries(0).timeout(Duration.ofSeconds(30)).build();
    }

    private static MessageCreateParams hello() {
        return MessageCreateParams.builder().model("claude-sonnet-4-5").maxTokens(64L).addUserMessage("Hello").build();
    }

    private static String text(Message message) {
        return message.content().stream().filter(ContentBlock::isText).map(b -> b.asText().text()).collect(Collectors.joining());
    }

    /** What the upstream must see: the real key, and no trace of the client's token. */
    private void assertRealKeyOnly(Received received) {
        assertEquals(ProxyWar.REAL_KEY, received.header("x-api-key"));
        assertNull(received.header("authorization"), "the client's Authorization must not reach the upstream");
        received.headers().forEach((name, values) -> values.forEach(value ->
                assertFalse(value.contains(token), "header " + name + " carries the token")));
        assertFalse(received.bodyText().contains(token));
    }

    @Test
    void sdkWithTheTokenAsApiKey() throws Exception {
        AnthropicClient client = sdk(AnthropicOkHttpClient.builder().apiKey(token));
        HttpResponseFor<Message> response = client.messages().withRawResponse().create(hello());
        assertEquals(200, response.statusCode());
        assertEquals("Hello from the fake", text(response.parse()));
        Received received = UPSTREAM.takeRequest();
        assertEquals("POST", received.method());
        assertEquals("/v1/messages", received.path());
        assertRealKeyOnly(received);
        assertTrue(response.requestId().orElseThrow().startsWith("req_fake_"), "upstream request-id reaches the client");
        assertTrue(received.bodyText().contains("\"model\":\"claude-sonnet-4-5\""));
    }

    @Test
    void eachForwardedRequestWritesOneAuditLine() throws Exception {
        String agent = "audit \"quoted\" \\ agent";
        String auditedToken = http.issueToken(agent.replace("\\", "\\\\").replace("\"", "\\\""), "5m");
        ISSUED.add(auditedToken);
        AnthropicClient client = sdk(AnthropicOkHttpClient.builder().apiKey(auditedToken));
        HttpResponseFor<Message> response = client.messages().withRawResponse().create(hello());
        String requestId = response.requestId().orElseThrow();
        assertEquals("Hello from the fake", text(response.parse()));
        UPSTREAM.takeRequest();
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        List<jakarta.json.JsonObject> lines = List.of();
        while (lines.isEmpty() && System.nanoTime() < deadline) {
            lines = LOGS.messagesOf("creddy.audit").stream()
                    .map(m -> jakarta.json.Json.createReader(new java.io.StringReader(m)).readObject())
                    .filter(o -> "forward".equals(o.getString("event")) && requestId.equals(o.getString("upstream_request_id", "")))
                    .toList();
            Thread.onSpinWait();
        }
        assertEquals(1, lines.size(), "one audit line for the request " + requestId + " in " + LOGS.messagesOf("creddy.audit"));
        jakarta.json.JsonObject line = lines.get(0);
        assertEquals(agent, line.getString("agent"));
        assertTrue(line.getString("token_id").startsWith("tok_"));
        assertEquals("POST", line.getString("method"));
        assertEquals("/v1/messages", line.getString("path"));
        assertEquals(200, line.getInt("status"));
        assertEquals("completed", line.getString("outcome"));
        assertTrue(line.getJsonNumber("duration_ms").doubleValue() >= 0);
        for (String message : LOGS.messagesOf("creddy.audit")) {
            assertFalse(message.contains("\n") || message.contains("\r"),
                    "an audit line is one line: " + message);
        }
    }

    @Test
    void sdkWithTheTokenAsAuthToken() throws Exception {
        AnthropicClient client = sdk(AnthropicOkHttpClient.builder().authToken(token));
        assertEquals("Hello from the fake", text(client.messages().create(hello())));
        assertRealKeyOnly(UPSTREAM.takeRequest());
    }

    @Test
    void sdkWithTheTokenInXApiKey() throws Exception {
        AnthropicClient client = sdk(AnthropicOkHttpClient.builder().putHeader("X-Api-Key", token));
        assertEquals("Hello from the fake", text(client.messages().create(hello())));
        assertRealKeyOnly(UPSTREAM.takeRequest());
    }

    @Test
    void versionAndBetaHeadersPassUnchangedAndDefaultOnlyWhenMissing() throws Exception {
        AnthropicClient client = sdk(AnthropicOkHttpClient.builder().apiKey(token)
                .putHeader("anthropic-version", "2026-10-21")
                .putHeader("anthropic-beta", "files-api-2025-04-14,token-counting-2024-11-01"));
        client.messages().create(hello());
        Received received = UPSTREAM.takeRequest();
        assertEquals("2026-10-21", received.header("anthropic-version"));
        assertEquals("files-api-2025-04-14,token-counting-2024-11-01", received.header("anthropic-beta"));

        HttpResponse<String> raw = http.send(http.request("/v1/messages/count_tokens")
                .header("x-api-key", token).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"claude-sonnet-4-5\",\"messages\":[]}")).build());
        assertEquals(200, raw.statusCode());
        assertEquals("2023-06-01", UPSTREAM.takeRequest().header("anthropic-version"));
    }

    @Test
    void queryStringsAndOtherEndpointsPassThrough() throws Exception {
        AnthropicClient client = sdk(AnthropicOkHttpClient.builder().apiKey(token));
        ModelListPage models = client.models().list(ModelListParams.builder().limit(1000L).build());
        assertEquals("claude-sonnet-4-5", models.data().get(0).id());
        Received received = UPSTREAM.takeRequest();
        assertEquals("GET", received.method());
        assertEquals("/v1/models", received.path());
        assertEquals("limit=1000", received.query());

        HttpResponse<String> beta = http.send(http.request("/v1/messages?beta=true")
                .header("authorization", "Bearer " + token).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m\",\"max_tokens\":1,\"messages\":[]}")).build());
        assertEquals(200, beta.statusCode());
        assertEquals("beta=true", UPSTREAM.takeRequest().query());
    }

    @Test
    void streamedEventsReachTheClientWhileTheUpstreamIsStillSending() throws Exception {
        List<Wire.Event> events = Wire.textEvents("one", "two", "three", "four", "five", "six", "seven", "eight");
        int surfaced = Wire.surfaced(events);
        StreamGate gate = new StreamGate(surfaced, 5_000);
        UPSTREAM.respondWith((request, exchange) -> FakeAnthropic.streamMessage(exchange, events, gate));

        AnthropicClient client = sdk(AnthropicOkHttpClient.builder().apiKey(token));
        List<String> types = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(hello())) {
            int index = 0;
            for (RawMessageStreamEvent event : (Iterable<RawMessageStreamEvent>) stream.stream()::iterator) {
                gate.clientSaw(index++);
                if (event.isMessageStart()) {
                    types.add("message_start");
                } else if (event.isContentBlockDelta()) {
                    types.add("content_block_delta");
                    text.append(event.asContentBlockDelta().delta().asText().text());
                } else if (event.isMessageStop()) {
                    types.add("message_stop");
                }
            }
        }
        assertEquals(0, gate.stalls(), "every event reached the client before the upstream wrote the next one");
        assertEquals("one two three four five six seven eight", text.toString());
        assertEquals("message_start", types.get(0));
        assertEquals("message_stop", types.get(types.size() - 1));
        assertRealKeyOnly(UPSTREAM.takeRequest());
    }

    @Test
    void sseResponsesAreMarkedUnbufferedAndPassByteForByte() throws Exception {
        List<Wire.Event> events = Wire.standardEvents("exact bytes please");
        UPSTREAM.respondWith((request, exchange) -> FakeAnthropic.streamMessage(exchange, events, null));
        HttpResponse<byte[]> response = http.send(http.request("/v1/messages").header("x-api-key", token)
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"stream\":true}")).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, response.statusCode());
        assertEquals("no", response.headers().firstValue("x-accel-buffering").orElseThrow());
        // Tomcat re-serialises Content-Type (drops the space before charset); the media type and charset stay.
        assertEquals("text/event-stream;charset=utf-8",
                response.headers().firstValue("content-type").orElseThrow().replace(" ", "").toLowerCase(java.util.Locale.ROOT));
        java.io.ByteArrayOutputStream expected = new java.io.ByteArrayOutputStream();
        for (Wire.Event event : events) {
            expected.write(event.bytes());
        }
        assertArrayEquals(expected.toByteArray(), response.body());
    }

    @Test
    void upstreamErrorsReachTheSdkUnchanged() {
        UPSTREAM.respondWith((request, exchange) -> {
            exchange.getResponseHeaders().set("retry-after", "7");
            FakeAnthropic.json(exchange, 529, Wire.error("overloaded_error", "Overloaded"));
        });
        AnthropicClient client = sdk(AnthropicOkHttpClient.builder().apiKey(token));
        OverloadedException e = assertThrows(OverloadedException.class, () -> client.messages().create(hello()));
        assertEquals(529, e.statusCode());
        assertEquals("overloaded_error", e.type().orElseThrow().asString());
        assertEquals("Overloaded", e.apiMessage().orElseThrow());
        assertTrue(e.requestId().orElseThrow().startsWith("req_fake_"));
        assertEquals("7", e.headers().values("retry-after").get(0));
    }

    @Test
    void aLargeRequestBodyArrivesByteIdentical() throws Exception {
        byte[] body = new byte[12 * 1024 * 1024 + 123];
        new Random(42).nextBytes(body);
        HttpResponse<String> response = http.send(http.request("/v1/files")
                .header("x-api-key", token).header("content-type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
        assertEquals(404, response.statusCode(), "the fake answers 404 for /v1/files after reading the body");
        Received received = UPSTREAM.takeRequest();
        assertEquals(body.length, received.body().length);
        assertArrayEquals(sha256(body), sha256(received.body()));
        assertEquals(String.valueOf(body.length), received.header("content-length"));
    }

    @Test
    void aLargeChunkedRequestBodyArrivesByteIdentical() throws Exception {
        byte[] body = new byte[10 * 1024 * 1024 + 7];
        new Random(7).nextBytes(body);
        // An InputStream publisher has no known length, so the client sends it chunked.
        HttpResponse<String> response = http.send(http.request("/v1/files")
                .header("x-api-key", token).header("content-type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body))).build());
        assertEquals(404, response.statusCode());
        assertArrayEquals(sha256(body), sha256(UPSTREAM.takeRequest().body()));
    }

    /**
     * A body that fills the pump's buffer four times and ends with a few bytes: the reading resumes
     * on the reactor thread and reads the last bytes there, while Tomcat hands onAllDataRead to a
     * container thread. Calling Tomcat under the pump's lock deadlocked those two threads in about
     * half the runs on a loaded machine, stalling every exchange of that reactor thread.
     */
    @org.junit.jupiter.api.RepeatedTest(25)
    void aBodyWhoseEndIsReadOnTheReactorThreadArrivesWhole() throws Exception {
        byte[] body = new byte[4 * 64 * 1024 + 17];
        new Random(17).nextBytes(body);
        HttpResponse<String> response = http.send(http.request("/v1/files").timeout(Duration.ofSeconds(10))
                .header("x-api-key", token).header("content-type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
        assertEquals(404, response.statusCode(), "the fake answers 404 for /v1/files after reading the body");
        assertArrayEquals(sha256(body), sha256(UPSTREAM.takeRequest().body()));
    }

    @ParameterizedTest(name = "content-length known: {0}")
    @ValueSource(booleans = {true, false})
    void aLargeResponseArrivesByteIdentical(boolean withLength) throws Exception {
        byte[] body = new byte[24 * 1024 * 1024 + 5];
        new Random(99).nextBytes(body);
        // The proxy reaches only files its token's agent created through it (issue 15, S8).
        ProxyObjects.createFiles(UPSTREAM, http, token, "file_1");
        UPSTREAM.respondWith((request, exchange) -> {
            exchange.getResponseHeaders().set("content-type", "application/octet-stream");
            exchange.getResponseHeaders().set("content-encoding", "gzip");
            exchange.sendResponseHeaders(200, withLength ? body.length : 0);
            try (OutputStream out = exchange.getResponseBody()) {
                for (int offset = 0; offset < body.length; offset += 1 << 16) {
                    out.write(body, offset, Math.min(1 << 16, body.length - offset));
                }
            }
        });
        HttpResponse<byte[]> response = http.send(http.request("/v1/files/file_1/content").header("x-api-key", token)
                .GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, response.statusCode());
        assertEquals("gzip", response.headers().firstValue("content-encoding").orElseThrow(),
                "Content-Encoding passes and nothing is decompressed");
        assertArrayEquals(sha256(body), sha256(response.body()));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"none", "unknown", "wrong-prefix", "too-short", "basic-auth", "conflicting", "empty-bearer"})
    void badTokensAreRefusedAndNeverReachTheUpstream(String kind) throws Exception {
        HttpRequest.Builder request = http.request("/v1/messages").header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m\",\"max_tokens\":1,\"messages\":[]}"));
        switch (kind) {
            case "none" -> { }
            case "unknown" -> request.header("x-api-key", "crd_" + "A".repeat(43));
            case "wrong-prefix" -> request.header("x-api-key", "sk-ant-api03-" + "A".repeat(43));
            case "too-short" -> request.header("x-api-key", token.substring(0, 20));
            case "basic-auth" -> request.header("authorization", "Basic " + token);
            case "conflicting" -> request.header("x-api-key", token).header("authorization", "Bearer crd_" + "B".repeat(43));
            case "empty-bearer" -> request.header("authorization", "Bearer ");
            default -> throw new IllegalArgumentException(kind);
        }
        HttpResponse<String> response = http.send(request.build());
        assertEquals(401, response.statusCode());
        assertEquals("application/json", response.headers().firstValue("content-type").orElseThrow());
        assertTrue(response.body().startsWith("{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\""),
                response.body());
        assertFalse(response.body().contains(token.substring(4, 20)), "the error must not echo the token");
        assertEquals(0, UPSTREAM.pendingRequests(), "the upstream was never contacted");
    }

    @Test
    void theSdkSeesA401ForAnUnknownToken() {
        AnthropicClient client = sdk(AnthropicOkHttpClient.builder().apiKey("crd_" + "Z".repeat(43)));
        UnauthorizedException e = assertThrows(UnauthorizedException.class, () -> client.messages().create(hello()));
        assertEquals("authentication_error", e.type().orElseThrow().asString());
        assertEquals(0, UPSTREAM.pendingRequests());
    }

    /** Claude Code retries a plain 401 up to ten times; the proxy's 401 says no retry can help. */
    @Test
    void aRefusedTokenIsNotRetriedEvenWithRetriesOn() {
        AnthropicClient client = AnthropicOkHttpClient.builder().baseUrl(http.base()).apiKey("crd_" + "R".repeat(43))
                .maxRetries(2).timeout(Duration.ofSeconds(30)).build();
        long before = LOGS.awaitAuditCount("rejected", "/v1/messages/count_tokens", 401, 0);
        UnauthorizedException e = assertThrows(UnauthorizedException.class, () -> client.messages().countTokens(
                com.anthropic.models.messages.MessageCountTokensParams.builder().model("claude-sonnet-4-5")
                        .addUserMessage("Hello").build()));
        assertEquals(List.of("false"), e.headers().values("x-should-retry"));
        assertEquals(before + 1, LOGS.awaitAuditCount("rejected", "/v1/messages/count_tokens", 401, before + 1),
                "requests that reached the proxy");
        assertEquals(0, UPSTREAM.pendingRequests());
    }

    @Test
    void anExpiredTokenIsRefused() throws Exception {
        String shortLived = http.issueToken("short-lived", "1s");
        AnthropicClient client = sdk(AnthropicOkHttpClient.builder().apiKey(shortLived));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        AnthropicServiceException refused = null;
        while (refused == null && System.nanoTime() < deadline) {
            try {
                client.messages().create(hello());
                UPSTREAM.takeRequest();
                Thread.onSpinWait();
            } catch (UnauthorizedException e) {
                refused = e;
            }
        }
        assertInstanceOf(UnauthorizedException.class, refused, "the token stopped working after its ttl");
        assertEquals(0, UPSTREAM.pendingRequests());
    }

    @ParameterizedTest
    @ValueSource(strings = {"/admin", "/v2/messages", "/v1/", "/v1", "/", "/v1/tokens/../../health/x", "/api/v1/messages"})
    void pathsOutsideTheApiAreNotFoundAndNeverForwarded(String path) throws Exception {
        HttpResponse<String> response = http.send(http.request(path).header("x-api-key", token).GET().build());
        assertEquals(404, response.statusCode(), path + " -> " + response.body());
        assertTrue(response.body().contains("\"not_found_error\""), response.body());
        assertEquals(0, UPSTREAM.pendingRequests());
    }

    @Test
    void healthSaysOk() throws Exception {
        HttpResponse<String> response = http.send(http.request("/health").GET().build());
        assertEquals(200, response.statusCode());
        assertEquals("{\"status\":\"ok\"}", response.body());
    }

    private static byte[] sha256(byte[] bytes) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(bytes);
    }
}
