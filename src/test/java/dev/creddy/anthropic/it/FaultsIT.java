package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.SseException;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyObjects;
import dev.creddy.anthropic.it.support.ProxyWar;
import dev.creddy.anthropic.it.support.Wire;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import javax.management.ObjectName;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Misbehaving clients and a misbehaving upstream: bodies over the limit, a silent upstream, a client
 * that hangs up mid-stream, a client that reads slowly. After each, the proxy serves normally.
 */
@ExtendWith(ArquillianExtension.class)
@Timeout(90)
class FaultsIT {

    private static final FakeAnthropic UPSTREAM = FakeAnthropic.shared();

    @Deployment(testable = false)
    static WebArchive proxy() {
        Map<String, String> settings = new HashMap<>(ProxyWar.standardSettings());
        settings.put("max-request-body", "1MB");
        settings.put("upstream-idle-timeout", "1s");
        return ProxyWar.withSettings("faults.war", settings);
    }

    @ArquillianResource
    URL base;

    private ProxyHttp http;
    private String token;

    @BeforeEach
    void connect() throws Exception {
        UPSTREAM.reset();
        http = new ProxyHttp(base);
        token = http.issueTokenForEveryEndpoint("faults-it", "10m");
    }

    /** Whatever a test did, the next ordinary request is served. */
    @AfterEach
    void stillServesNormally() throws Exception {
        UPSTREAM.reset();
        HttpResponse<String> response = http.send(http.request("/v1/messages/count_tokens").header("x-api-key", token)
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build());
        assertEquals(200, response.statusCode(), response.body());
        assertEquals("{\"input_tokens\":12}", response.body());
    }

    private static int leasedConnections() throws Exception {
        Object leased = ManagementFactory.getPlatformMBeanServer().getAttribute(
                new ObjectName("creddy:type=UpstreamPool,context=\"/faults\""), "Leased");
        return (Integer) leased;
    }

    private static void awaitLeased(int expected, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        int leased = leasedConnections();
        while (leased != expected && System.nanoTime() < deadline) {
            Thread.onSpinWait();
            leased = leasedConnections();
        }
        assertEquals(expected, leased, "leased upstream connections after " + within);
    }

    private Socket rawRequest(String head) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), 5_000);
        socket.setSoTimeout(30_000);
        socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        return socket;
    }

    @Test
    void aDeclaredBodyOverTheLimitIs413AndNeverForwarded() throws Exception {
        HttpResponse<String> response = http.send(http.request("/v1/messages").header("x-api-key", token)
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[1024 * 1024 + 1])).build());
        assertEquals(413, response.statusCode());
        assertTrue(response.body().contains("\"request_too_large\""), response.body());
        assertTrue(response.body().contains("1MB"), response.body());
        assertEquals(0, UPSTREAM.pendingRequests());
    }

    @Test
    void aChunkedBodyOverTheLimitIs413() throws Exception {
        try (Socket socket = rawRequest("POST " + base.getPath() + "v1/messages HTTP/1.1\r\nHost: x\r\nx-api-key: " + token
                + "\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n")) {
            byte[] chunk = new byte[64 * 1024];
            OutputStream out = socket.getOutputStream();
            CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
                try {
                    for (int i = 0; i < 48; i++) {
                        out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                        out.write(chunk);
                        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                    }
                    out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    // The proxy stops listening once it has answered: expected.
                }
            });
            String statusLine = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            assertEquals("HTTP/1.1 413", statusLine);
            sender.get(20, TimeUnit.SECONDS);
        }
        awaitLeased(0, Duration.ofSeconds(2));
    }

    @Test
    void anUpstreamThatGoesSilentMidStreamEndsTheStreamWithAnErrorEvent() throws Exception {
        List<Wire.Event> events = Wire.standardEvents("then silence");
        UPSTREAM.respondWith((request, exchange) -> {
            exchange.getResponseHeaders().set("content-type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            exchange.getResponseBody().write(events.get(0).bytes());
            exchange.getResponseBody().flush();
            try {
                // Far longer than the idle timeout: only the proxy can end this stream in time.
                Thread.sleep(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        AnthropicClient client = AnthropicOkHttpClient.builder().baseUrl(http.base()).apiKey(token).maxRetries(0)
                .timeout(Duration.ofSeconds(30)).build();
        List<String> seen = new ArrayList<>();
        long started = System.nanoTime();
        SseException e = assertThrows(SseException.class, () -> {
            try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(
                    MessageCreateParams.builder().model("m").maxTokens(1L).addUserMessage("x").build())) {
                stream.stream().forEach(event -> seen.add(event.isMessageStart() ? "message_start" : "other"));
            }
        });
        long millis = (System.nanoTime() - started) / 1_000_000;
        assertEquals(List.of("message_start"), seen);
        assertEquals("api_error", e.type().orElseThrow().asString());
        assertTrue(e.apiMessage().orElseThrow().contains("sent nothing for 1s"), e.apiMessage().orElseThrow());
        assertTrue(millis < 20_000, "the idle timeout, not the upstream, ended the stream (after " + millis + " ms)");
        awaitLeased(0, Duration.ofSeconds(2));
    }

    @Test
    void aClientThatHangsUpMidStreamCancelsTheUpstreamExchange() throws Exception {
        List<Wire.Event> events = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            events.add(new Wire.Event("content_block_delta",
                    "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"" + i + "\"}}"));
        }
        AtomicReference<Long> upstreamSawClose = new AtomicReference<>();
        UPSTREAM.respondWith((request, exchange) -> {
            try {
                FakeAnthropic.pacedStream(exchange, events, Duration.ofMillis(50));
            } catch (IOException e) {
                upstreamSawClose.set(System.nanoTime());
                throw e;
            }
        });
        long hungUpAt;
        try (Socket socket = rawRequest("POST " + base.getPath() + "v1/messages HTTP/1.1\r\nHost: x\r\nx-api-key: " + token
                + "\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}")) {
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream seen = new ByteArrayOutputStream();
            while (!seen.toString(StandardCharsets.UTF_8).contains("\"text\":\"2\"")) {
                int b = in.read();
                assertTrue(b >= 0, "the stream ended early: " + seen);
                seen.write(b);
            }
            assertEquals(1, leasedConnections(), "the upstream exchange is in flight");
            hungUpAt = System.nanoTime();
        }
        awaitLeased(0, Duration.ofSeconds(1));
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (upstreamSawClose.get() == null && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertTrue(upstreamSawClose.get() != null, "the upstream saw its connection close");
        assertTrue(upstreamSawClose.get() - hungUpAt < Duration.ofSeconds(2).toNanos(),
                "the hang-up reached the upstream within 2 s");
    }

    @Test
    void aSlowReaderHoldsBackTheUpstreamNotTheHeap() throws Exception {
        int total = 64 * 1024 * 1024;
        AtomicLong written = new AtomicLong();
        // The proxy reaches only files its token's agent created through it (issue 15, S8).
        ProxyObjects.createFiles(UPSTREAM, http, token, "big");
        UPSTREAM.respondWith((request, exchange) -> {
            exchange.getResponseHeaders().set("content-type", "application/octet-stream");
            exchange.sendResponseHeaders(200, total);
            byte[] chunk = new byte[16 * 1024];
            try (OutputStream out = exchange.getResponseBody()) {
                for (int sent = 0; sent < total; sent += chunk.length) {
                    out.write(chunk);
                    written.addAndGet(chunk.length);
                }
            }
        });
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(64 * 1024);
            socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), 5_000);
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(("GET " + base.getPath() + "v1/files/big/content HTTP/1.1\r\nHost: x\r\nx-api-key: "
                    + token + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            // Wait until the upstream stops making progress: everything in between is full.
            long last = -1;
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (written.get() != last && System.nanoTime() < deadline) {
                last = written.get();
                Thread.sleep(500); // progress is measured over time; there is no event to wait for
            }
            long heldBack = written.get();
            assertTrue(heldBack < 32L * 1024 * 1024, "the upstream wrote " + heldBack + " bytes to a client that read none");
            assertTrue(heldBack < total);
            InputStream in = socket.getInputStream();
            long bodyBytes = 0;
            String head = readHead(in);
            assertTrue(head.startsWith("HTTP/1.1 200"), head);
            byte[] buffer = new byte[256 * 1024];
            for (int read; bodyBytes < total && (read = in.read(buffer)) > 0; ) {
                bodyBytes += read;
            }
            assertEquals(total, bodyBytes, "once read, every byte arrives");
        }
        awaitLeased(0, Duration.ofSeconds(2));
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.write(b);
        }
        return head.toString(StandardCharsets.US_ASCII);
    }
}
