package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.LogCapture;
import dev.creddy.anthropic.it.support.Poll;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyWar;
import dev.creddy.anthropic.it.support.Wire;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URL;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 19, a revocation that reaches a non-streaming response already under way: the upstream has
 * sent the head and the first bytes of a JSON message and is slow with the rest when the token is
 * revoked. The client's connection is broken, as for an upstream failure (its body never arrives
 * whole: the status is already out, so no error can be written), the upstream side is cancelled, and
 * the audit line says {@code revoked}. Both framings: a declared {@code Content-Length} and chunked.
 */
@ExtendWith(ArquillianExtension.class)
@Timeout(60)
class RevokedJsonBreakOffIT {

    private static final FakeAnthropic UPSTREAM = FakeAnthropic.shared();
    private static final String BODY = "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":64,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";

    @Deployment(testable = false)
    static WebArchive deployment() {
        return ProxyWar.withSettings("revoked-json.war", new HashMap<>(ProxyWar.standardSettings()));
    }

    @ArquillianResource
    URL url;

    private LogCapture logs;

    @BeforeEach
    void capture() {
        UPSTREAM.reset();
        logs = LogCapture.start();
    }

    @AfterEach
    void release() {
        logs.close();
        UPSTREAM.reset();
    }

    /** A responder's writing, which the proxy may cut off by hanging up. */
    private interface Writing {
        void run() throws IOException, InterruptedException;
    }

    /** Runs {@code writing}; a write the proxy's hang-up failed counts {@code cutOff} down, and fails the responder. */
    private static void writeUntilCut(CountDownLatch cutOff, Writing writing) throws IOException {
        try {
            writing.run();
        } catch (IOException e) {
            cutOff.countDown();
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    /**
     * Sends the head and the first half of a JSON message with 32 KB of spaces after it (JSON
     * whitespace, so the body stays valid; more than the container buffers, so the client has bytes),
     * then one more space every 50 ms for up to 30 s, then the rest: until the proxy hangs up.
     */
    private static final class SlowJson implements FakeAnthropic.Responder {
        private final boolean declaredLength;
        final CountDownLatch firstBytesSent = new CountDownLatch(1);
        final CountDownLatch cutOff = new CountDownLatch(1);

        SlowJson(boolean declaredLength) {
            this.declaredLength = declaredLength;
        }

        @Override
        public void respond(FakeAnthropic.Received request, HttpExchange exchange) throws IOException {
            int pauses = 600;
            byte[] message = Wire.message("msg_slow", "slow").getBytes(StandardCharsets.UTF_8);
            int half = message.length / 2;
            exchange.getResponseHeaders().set("content-type", "application/json");
            exchange.getResponseHeaders().set("request-id", UPSTREAM.nextRequestId());
            byte[] padding = " ".repeat(32 * 1024).getBytes(StandardCharsets.US_ASCII);
            exchange.sendResponseHeaders(200, declaredLength ? message.length + padding.length + pauses : 0);
            OutputStream out = exchange.getResponseBody();
            writeUntilCut(cutOff, () -> {
                out.write(message, 0, half);
                out.write(padding);
                out.flush();
                firstBytesSent.countDown();
                for (int i = 0; i < pauses; i++) {
                    Thread.sleep(50);
                    out.write(' ');
                    out.flush();
                }
                out.write(message, half, message.length - half);
                out.close();
            });
        }
    }

    @ParameterizedTest(name = "declared length: {0}")
    @ValueSource(booleans = {true, false})
    void aRevokedTokensJsonResponseUnderWayIsBrokenOffAndTheUpstreamCancelled(boolean declaredLength) throws Exception {
        ProxyHttp proxy = new ProxyHttp(url);
        String agent = "revoked-json-" + declaredLength;
        ProxyHttp.Issued token = proxy.issue(agent, "10m");
        SlowJson upstream = new SlowJson(declaredLength);
        UPSTREAM.respondWith(upstream);
        HttpResponse<InputStream> response = proxy.send(proxy.request("/v1/messages").header("x-api-key", token.token())
                .header("content-type", "application/json").header("anthropic-version", "2023-06-01")
                .POST(HttpRequest.BodyPublishers.ofString(BODY)).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, response.statusCode(), "the head was forwarded before the revocation");
        assertTrue(upstream.firstBytesSent.await(10, TimeUnit.SECONDS));
        try (InputStream body = response.body()) {
            // The first bytes reach the client: the response is under way.
            assertTrue(body.read() == '{', "the message's first byte");
            assertEquals(204, proxy.revoke(token.id()).statusCode());
            assertThrows(IOException.class, () -> {
                byte[] buffer = new byte[1024];
                while (body.read(buffer) >= 0) {
                    // Drains what arrived before the break; a clean end of the body would fail the test.
                }
            }, "the client's connection is broken, never a clean end of a cut body");
        }
        assertTrue(upstream.cutOff.await(10, TimeUnit.SECONDS), "the upstream saw its side cancelled");
        List<JsonObject> lines = Poll.until(Duration.ofSeconds(10), () -> logs.auditLines().stream()
                .filter(line -> "forward".equals(line.getString("event", "")) && agent.equals(line.getString("agent", "")))
                .toList(), found -> !found.isEmpty());
        assertEquals(1, lines.size(), lines.toString());
        assertEquals("revoked", lines.get(0).getString("outcome"), lines.get(0).toString());
    }

    /** Sends the head of a JSON message, then holds its body until {@link #go}; reports whether the proxy hung up. */
    private static final class HeadThenWait implements FakeAnthropic.Responder {
        final CountDownLatch headSent = new CountDownLatch(1);
        final CountDownLatch go = new CountDownLatch(1);
        final CountDownLatch cutOff = new CountDownLatch(1);

        @Override
        public void respond(FakeAnthropic.Received request, HttpExchange exchange) throws IOException {
            byte[] padding = " ".repeat(256 * 1024).getBytes(StandardCharsets.US_ASCII);
            exchange.getResponseHeaders().set("content-type", "application/json");
            exchange.getResponseHeaders().set("request-id", "req_head_only");
            exchange.sendResponseHeaders(200, padding.length);
            headSent.countDown();
            OutputStream out = exchange.getResponseBody();
            writeUntilCut(cutOff, () -> {
                go.await(20, TimeUnit.SECONDS);
                for (int i = 0; i < padding.length; i += 1024) {
                    out.write(padding, i, 1024);
                    out.flush();
                    Thread.sleep(1);
                }
                out.close();
            });
        }
    }

    /**
     * Revoked after the upstream's head came but before any of its body reached the client: nothing
     * is committed, so the client gets the revocation as a whole 401 in Anthropic's shape, not a
     * broken connection (which Tomcat would turn into its own HTML 400 under the upstream's headers).
     */
    @Test
    void aRevocationBeforeTheBodysFirstByteIsAWhole401() throws Exception {
        ProxyHttp proxy = new ProxyHttp(url);
        ProxyHttp.Issued token = proxy.issue("revoked-before-body", "10m");
        HeadThenWait upstream = new HeadThenWait();
        UPSTREAM.respondWith(upstream);
        var pending = proxy.sendAsync(proxy.request("/v1/messages").header("x-api-key", token.token())
                .header("content-type", "application/json").header("anthropic-version", "2023-06-01")
                .POST(HttpRequest.BodyPublishers.ofString(BODY)).build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(upstream.headSent.await(10, TimeUnit.SECONDS));
        // The head crosses to the proxy while the test goes on; the revocation must find the exchange with it.
        Thread.sleep(200);
        assertEquals(204, proxy.revoke(token.id()).statusCode());
        HttpResponse<String> response = pending.get(10, TimeUnit.SECONDS);
        upstream.go.countDown();
        assertEquals(401, response.statusCode(), response.body());
        assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("application/json"));
        assertEquals(java.util.Optional.empty(), response.headers().firstValue("request-id"), "the upstream's head was taken back");
        JsonObject error = jakarta.json.Json.createReader(new java.io.StringReader(response.body())).readObject();
        assertEquals("error", error.getString("type"));
        assertEquals("authentication_error", error.getJsonObject("error").getString("type"));
        assertTrue(upstream.cutOff.await(10, TimeUnit.SECONDS), "the upstream saw its side cancelled");
        List<JsonObject> lines = Poll.until(Duration.ofSeconds(10), () -> logs.auditLines().stream()
                .filter(line -> "forward".equals(line.getString("event", ""))
                        && "revoked-before-body".equals(line.getString("agent", "")))
                .toList(), found -> !found.isEmpty());
        assertEquals("revoked", lines.get(0).getString("outcome"), lines.get(0).toString());
        assertEquals(401, lines.get(0).getInt("status"), lines.get(0).toString());
    }

    @Test
    void theSameResponseUnrevokedArrivesWhole() throws Exception {
        ProxyHttp proxy = new ProxyHttp(url);
        ProxyHttp.Issued token = proxy.issue("unrevoked-json", "10m");
        UPSTREAM.respondWith((request, exchange) -> FakeAnthropic.json(exchange, 200, Wire.message("msg_slow", "slow")));
        HttpResponse<String> response = proxy.send(proxy.request("/v1/messages").header("x-api-key", token.token())
                .header("content-type", "application/json").header("anthropic-version", "2023-06-01")
                .POST(HttpRequest.BodyPublishers.ofString(BODY)).build());
        assertEquals(200, response.statusCode());
        assertEquals(Wire.message("msg_slow", "slow"), response.body());
    }
}
