package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.LogCapture;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyWar;
import dev.creddy.anthropic.it.support.Scrape;
import dev.creddy.anthropic.it.support.Wire;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URL;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.management.ObjectName;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The forwarding core's answers to the red team (issue 15's pipeline findings), each reproduced as an
 * attacker would and then held to the fixed behaviour: a client that hangs up mid-stream is still
 * charged and audited (S2), a second {@code Accept-Encoding} cannot switch metering off (S3), a refused
 * model never reaches the upstream (S15), one token cannot starve the others (S7), an endpoint has one
 * spelling (S9), an upstream head has limits (S12), credentials in the query are refused and a
 * malformed chunked body is answered (S14).
 */
@ExtendWith(ArquillianExtension.class)
@Timeout(90)
class ForwardingCoreIT {

    private static final FakeAnthropic UPSTREAM = FakeAnthropic.shared();
    private static final LogCapture LOGS = LogCapture.start();

    @Deployment(testable = false)
    static WebArchive proxy() {
        Map<String, String> settings = new HashMap<>(ProxyWar.standardSettings());
        settings.put("upstream-max-connections", "3");
        settings.put("upstream-connections-per-token", "2");
        settings.put("upstream-pool-wait", "1s");
        settings.put("request-body-timeout", "4s");
        return ProxyWar.withSettings("core.war", settings);
    }

    @ArquillianResource
    URL base;

    private ProxyHttp http;

    @BeforeEach
    void connect() {
        UPSTREAM.reset();
        http = new ProxyHttp(base);
    }

    @AfterAll
    static void stopCapture() {
        LOGS.close();
    }

    // --- helpers ------------------------------------------------------------------------------

    private String issue(String agent, String limitFields) throws Exception {
        HttpResponse<String> response = http.requestToken("{\"ttl\":\"10m\",\"agent_name\":\"" + agent + "\""
                + (limitFields.isEmpty() ? "" : "," + limitFields) + "}");
        assertEquals(201, response.statusCode(), response.body());
        return json(response.body()).getString("token");
    }

    private static JsonObject json(String text) {
        return Json.createReader(new StringReader(text)).readObject();
    }

    private JsonObject totalUsage(String token) throws Exception {
        HttpResponse<String> response = http.send(http.request("/v1/tokens/self").header("x-api-key", token).GET().build());
        assertEquals(200, response.statusCode(), response.body());
        return json(response.body()).getJsonObject("usage").getJsonObject("total");
    }

    private JsonObject awaitRequests(String token, long expected) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        JsonObject total = totalUsage(token);
        while (total.getJsonNumber("requests").longValue() < expected && System.nanoTime() < deadline) {
            Thread.sleep(20);
            total = totalUsage(token);
        }
        return total;
    }

    private double streamsOpen() throws Exception {
        HttpResponse<String> response = http.send(http.request("/metrics")
                .header("Authorization", "Bearer " + ProxyWar.ISSUER_KEY).GET().build());
        assertEquals(200, response.statusCode(), response.body());
        return Scrape.parse(response.body()).value("creddy_streams_open");
    }

    private static int leasedConnections() throws Exception {
        return (Integer) ManagementFactory.getPlatformMBeanServer().getAttribute(
                new ObjectName("creddy:type=UpstreamPool,context=\"/core\""), "Leased");
    }

    private static void awaitLeased(int expected, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        int leased = leasedConnections();
        while (leased != expected && System.nanoTime() < deadline) {
            Thread.sleep(10);
            leased = leasedConnections();
        }
        assertEquals(expected, leased, "leased upstream connections after " + within);
    }

    private Socket raw(String head) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), 5_000);
        socket.setSoTimeout(20_000);
        socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        return socket;
    }

    private String path(String apiPath) {
        return base.getPath() + apiPath.substring(1);
    }

    /** Reads the response head (through the blank line) of a raw exchange. */
    private static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            head.append((char) c);
            if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) {
                break;
            }
        }
        return head.toString();
    }

    private List<JsonObject> auditLinesOf(String path, String outcome) {
        return LOGS.auditLines().stream().filter(line -> "forward".equals(line.getString("event", ""))
                && path.equals(line.getString("path", "")) && outcome.equals(line.getString("outcome", ""))).toList();
    }

    // --- S2 -----------------------------------------------------------------------------------

    /** A client that reads the start of a stream and hangs up is charged what the upstream reported, audited, and closed. */
    @Test
    void aClientThatHangsUpMidStreamIsChargedAuditedAndCounted() throws Exception {
        String token = issue("hang-up", "\"max_tokens_total\":1000000");
        String[] pieces = new String[40];
        java.util.Arrays.fill(pieces, "word ");
        UPSTREAM.respondWith((request, exchange) -> FakeAnthropic.pacedStream(exchange,
                Wire.eventsWithUsage(1234, 0, 0, 77, pieces), Duration.ofMillis(100)));
        int before = auditLinesOf("/v1/messages", "client_disconnected").size();
        String body = "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":64,\"stream\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
        try (Socket socket = raw("POST " + path("/v1/messages") + " HTTP/1.1\r\nHost: x\r\nx-api-key: " + token
                + "\r\ncontent-type: application/json\r\ncontent-length: " + body.length() + "\r\n\r\n" + body)) {
            InputStream in = socket.getInputStream();
            String head = readHead(in);
            assertTrue(head.startsWith("HTTP/1.1 200"), head);
            StringBuilder seen = new StringBuilder();
            byte[] buffer = new byte[1024];
            while (!seen.toString().contains("content_block_delta")) {
                int n = in.read(buffer);
                assertTrue(n > 0, "the stream ended before its first delta");
                seen.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
            }
            socket.setSoLinger(true, 0);
        }
        JsonObject total = awaitRequests(token, 1);
        assertEquals(1, total.getJsonNumber("requests").longValue(), total.toString());
        assertEquals(1234, total.getJsonNumber("input_tokens").longValue(), "message_start's input is charged: " + total);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (auditLinesOf("/v1/messages", "client_disconnected").size() == before && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        List<JsonObject> lines = auditLinesOf("/v1/messages", "client_disconnected");
        assertEquals(before + 1, lines.size(), "one audit line for the cut stream");
        assertEquals(1234, lines.get(lines.size() - 1).getJsonNumber("input_tokens").longValue());
        double open = streamsOpen();
        while (open != 0.0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
            open = streamsOpen();
        }
        assertEquals(0.0, open, "creddy_streams_open comes back down");
        awaitLeased(0, Duration.ofSeconds(5));
    }

    // --- S3 -----------------------------------------------------------------------------------

    @Test
    void aSecondAcceptEncodingCannotBringBackAnUnmeterableCoding() throws Exception {
        String token = issue("two-encodings", "\"max_tokens_total\":1000");
        HttpResponse<String> response = http.send(http.request("/v1/messages").header("x-api-key", token)
                .header("content-type", "application/json").header("Accept-Encoding", "identity")
                .header("Accept-Encoding", "br")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":5}")).build());
        assertEquals(200, response.statusCode(), response.body());
        FakeAnthropic.Received received = UPSTREAM.takeRequest();
        assertEquals(List.of("identity"), received.headers().get("accept-encoding"),
                "one line, narrowed from both of the client's");
    }

    /** An upstream that answers br although the proxy did not accept it is charged the token's budget, not zero. */
    @Test
    void aMeteredAnswerInAnUnreadableCodingIsChargedConservatively() throws Exception {
        String token = issue("brotli-anyway", "\"max_tokens_total\":1000");
        UPSTREAM.respondWith((request, exchange) -> {
            exchange.getResponseHeaders().set("content-type", "application/json");
            exchange.getResponseHeaders().set("content-encoding", "br");
            byte[] body = {0x1b, 0x2f, 0x00, 0x00, 0x24, 0x00};
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        HttpResponse<byte[]> response = http.send(http.request("/v1/messages").header("x-api-key", token)
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":5}")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, response.statusCode());
        JsonObject total = awaitRequests(token, 1);
        assertTrue(total.getJsonNumber("tokens").longValue() >= 1000, "charged, not counted as zero: " + total);
        UPSTREAM.reset();
        HttpResponse<String> next = http.send(http.request("/v1/messages").header("x-api-key", token)
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":5}")).build());
        assertEquals(429, next.statusCode(), next.body());
    }

    // --- S15 ----------------------------------------------------------------------------------

    @Test
    void aRefusedModelNeverReachesTheUpstreamNotEvenItsRequestLine() throws Exception {
        String token = issue("haiku-only", "\"models\":[\"claude-haiku\"]");
        HttpResponse<String> refused = http.send(http.request("/v1/messages").header("x-api-key", token)
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"claude-opus-4\",\"max_tokens\":5,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")).build());
        assertEquals(403, refused.statusCode(), refused.body());
        assertTrue(refused.body().contains("permission_error"), refused.body());
        Thread.sleep(300);
        assertEquals(0, UPSTREAM.pendingRequests(), "the upstream saw nothing of the refused request");

        HttpResponse<String> allowed = http.send(http.request("/v1/messages").header("x-api-key", token)
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"claude-haiku\",\"max_tokens\":5}")).build());
        assertEquals(200, allowed.statusCode(), allowed.body());
        assertEquals("{\"model\":\"claude-haiku\",\"max_tokens\":5}", UPSTREAM.takeRequest().bodyText());
    }

    // --- S7 -----------------------------------------------------------------------------------

    /** Starts an upload that sends one byte of its chunked body every 200 ms; the proxy answers it in the end. */
    private CompletableFuture<String> drippingUpload(String token) throws IOException {
        Socket socket = raw("POST " + path("/v1/files") + " HTTP/1.1\r\nHost: x\r\nx-api-key: " + token
                + "\r\ncontent-type: application/octet-stream\r\ntransfer-encoding: chunked\r\n\r\n");
        CompletableFuture<Void> dripping = CompletableFuture.runAsync(() -> {
            try {
                OutputStream out = socket.getOutputStream();
                for (int i = 0; i < 100; i++) {
                    out.write("1\r\nx\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    Thread.sleep(200);
                }
            } catch (IOException | InterruptedException e) {
                // The proxy gave up on the upload: expected.
            }
        });
        return CompletableFuture.supplyAsync(() -> {
            try (socket) {
                return readHead(socket.getInputStream());
            } catch (IOException e) {
                return "read failed: " + e;
            } finally {
                dripping.cancel(true);
            }
        });
    }

    @Test
    void oneTokensStalledUploadsCannotStarveAnotherToken() throws Exception {
        String dripper = issue("dripper", "\"endpoints\":null");
        String other = issue("other", "\"endpoints\":null");
        String third = issue("third", "\"endpoints\":null");
        UPSTREAM.respondStreaming((head, body, exchange) -> {
            body.readAllBytes();
            FakeAnthropic.json(exchange, 200, "{\"id\":\"file_1\"}");
        });
        List<CompletableFuture<String>> uploads = new ArrayList<>();
        uploads.add(drippingUpload(dripper));
        uploads.add(drippingUpload(dripper));
        awaitLeased(2, Duration.ofSeconds(5));

        HttpResponse<String> overTheCap = http.send(http.request("/v1/files").header("x-api-key", dripper)
                .header("content-type", "application/octet-stream").POST(HttpRequest.BodyPublishers.ofString("x")).build());
        assertEquals(429, overTheCap.statusCode(), overTheCap.body());
        assertTrue(overTheCap.headers().firstValue("retry-after").isPresent());

        UPSTREAM.respondStreaming(null);
        UPSTREAM.respondWith(FakeAnthropic::standard);
        HttpResponse<String> served = http.send(http.request("/v1/messages/count_tokens").header("x-api-key", other)
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build());
        assertEquals(200, served.statusCode(), served.body());

        // The third connection of a pool of three goes to another dripper: now the pool itself is full.
        UPSTREAM.respondStreaming((head, body, exchange) -> {
            body.readAllBytes();
            FakeAnthropic.json(exchange, 200, "{\"id\":\"file_2\"}");
        });
        uploads.add(drippingUpload(third));
        awaitLeased(3, Duration.ofSeconds(5));
        long waited = System.nanoTime();
        HttpResponse<String> busy = http.send(http.request("/v1/models").header("x-api-key", other).GET().build());
        waited = System.nanoTime() - waited;
        assertEquals(503, busy.statusCode(), busy.body());
        assertEquals("1", busy.headers().firstValue("retry-after").orElse(null));
        assertTrue(TimeUnit.NANOSECONDS.toMillis(waited) < 5_000, "the pool's wait is bounded: " + waited / 1_000_000 + " ms");

        // Each stalled upload is cut off at the body's time bound, and its connection is discarded.
        for (CompletableFuture<String> upload : uploads) {
            String head = upload.get(20, TimeUnit.SECONDS);
            assertTrue(head.startsWith("HTTP/1.1 408"), head);
            assertTrue(head.toLowerCase(java.util.Locale.ROOT).contains("connection: close"), head);
        }
        awaitLeased(0, Duration.ofSeconds(5));
    }

    // --- S9 -----------------------------------------------------------------------------------

    @Test
    void aRestrictedTokenMustSpellTheEndpointExactly() throws Exception {
        String limited = issue("spelling", "\"models\":[\"claude-haiku\"]");
        for (String spelling : List.of("/v1/messages/", "/v1/Messages", "/v1/messages/count_tokens/x")) {
            HttpResponse<String> response = http.send(http.request(spelling).header("x-api-key", limited)
                    .header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"claude-opus-4\"}")).build());
            assertEquals(404, response.statusCode(), spelling + ": " + response.body());
            assertTrue(response.body().contains("not_found_error"), response.body());
        }
        Thread.sleep(200);
        assertEquals(0, UPSTREAM.pendingRequests());

        String unlimited = issue("spelling-free", "");
        HttpResponse<String> passed = http.send(http.request("/v1/messages/").header("x-api-key", unlimited)
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build());
        assertEquals("/v1/messages/", UPSTREAM.takeRequest().path(), "a token without limits is forwarded as before");
        assertTrue(passed.statusCode() > 0);
    }

    @Test
    void anEncodedSemicolonStaysEncodedOnItsWayUp() throws Exception {
        String token = issue("semicolon", "");
        HttpResponse<String> response = http.send(http.request("/v1/models/claude%3Bx%3Dy%2Cz").header("x-api-key", token)
                .GET().build());
        assertTrue(response.statusCode() > 0);
        assertEquals("/v1/models/claude%3Bx%3Dy%2Cz", UPSTREAM.takeRequest().path());
    }

    // --- S12 ----------------------------------------------------------------------------------

    @Test
    void anUpstreamHeadOverTheLimitsIsA502NotAHang() throws Exception {
        String token = issue("big-head", "");
        UPSTREAM.respondWith((request, exchange) -> {
            for (int i = 0; i < 500; i++) {
                exchange.getResponseHeaders().add("x-filler-" + i, "v");
            }
            FakeAnthropic.json(exchange, 200, "{}");
        });
        HttpResponse<String> many = http.send(http.request("/v1/models").header("x-api-key", token).GET().build());
        assertEquals(502, many.statusCode(), many.body());
        assertTrue(many.body().contains("api_error"), many.body());

        UPSTREAM.respondWith((request, exchange) -> {
            exchange.getResponseHeaders().add("x-huge", "v".repeat(40_000));
            FakeAnthropic.json(exchange, 200, "{}");
        });
        HttpResponse<String> huge = http.send(http.request("/v1/models").header("x-api-key", token).GET().build());
        assertEquals(502, huge.statusCode(), huge.body());
        awaitLeased(0, Duration.ofSeconds(5));
    }

    // --- S14 ----------------------------------------------------------------------------------

    @Test
    void aCredentialInTheQueryIsRefusedBeforeAnythingGoesUp() throws Exception {
        String token = issue("query-leak", "");
        for (String query : List.of("api_key=" + token, "x=" + token, "key=abc", "note=sk-ant-api03-x")) {
            HttpResponse<String> response = http.send(http.request("/v1/models?" + query).header("x-api-key", token)
                    .GET().build());
            assertEquals(400, response.statusCode(), query + ": " + response.body());
            assertFalse(response.body().contains(token.substring(4)), "the refusal does not echo the token");
        }
        Thread.sleep(200);
        assertEquals(0, UPSTREAM.pendingRequests());
        HttpResponse<String> ordinary = http.send(http.request("/v1/models?limit=5&beta=true").header("x-api-key", token)
                .GET().build());
        assertEquals(200, ordinary.statusCode(), ordinary.body());
        assertEquals("limit=5&beta=true", UPSTREAM.takeRequest().query());
    }

    /**
     * The exchange sees Tomcat's parse error as the client's malformed body (400, audited as
     * {@code request_body_malformed}), not as a client that went away. Tomcat itself then closes the
     * connection (its error state after a failed read allows no more output), so the client gets the
     * 400 where the container lets it through and a closed connection on Tomcat; never a 200, never a hang.
     */
    @Test
    void aMalformedChunkedBodyIsA400() throws Exception {
        String token = issue("bad-chunks", "");
        try (Socket socket = raw("POST " + path("/v1/messages") + " HTTP/1.1\r\nHost: x\r\nx-api-key: " + token
                + "\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n5\r\n{\"a\":\r\nzz\r\n1}\r\n0\r\n\r\n")) {
            String head = readHead(socket.getInputStream());
            assertTrue(head.isEmpty() || head.startsWith("HTTP/1.1 400"), head);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        List<JsonObject> lines = List.of();
        while (lines.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
            lines = LOGS.auditLines().stream().filter(line -> "bad-chunks".equals(line.getString("agent", ""))
                    && "forward".equals(line.getString("event", ""))).toList();
        }
        assertEquals(1, lines.size());
        assertEquals("request_body_malformed", lines.get(0).getString("outcome"));
        assertEquals(400, lines.get(0).getInt("status"));
        awaitLeased(0, Duration.ofSeconds(5));
    }
}
