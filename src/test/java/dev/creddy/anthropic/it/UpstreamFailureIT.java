package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.AnthropicServiceException;
import com.anthropic.errors.GatewayTimeoutException;
import com.anthropic.errors.InternalServerException;
import com.anthropic.errors.SseException;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyWar;
import dev.creddy.anthropic.it.support.ScriptedUpstream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.io.UncheckedIOException;
import java.net.URL;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.CsvSource;

/** An upstream that hangs, resets or hangs up: the client always hears why, and nothing hangs. */
@ExtendWith(ArquillianExtension.class)
@Timeout(60)
class UpstreamFailureIT {

    private static ScriptedUpstream upstream;

    @Deployment(testable = false)
    static WebArchive proxy() {
        try {
            upstream = new ScriptedUpstream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return ProxyWar.withSettings("failures.war", Map.of(
                "anthropic-api-key", ProxyWar.REAL_KEY,
                "upstream-url", upstream.baseUrl(),
                "issuer-key", ProxyWar.ISSUER_KEY,
                "upstream-header-timeout", "1s"));
    }

    @AfterAll
    static void stopUpstream() throws IOException {
        if (upstream != null) {
            upstream.close();
        }
    }

    @ArquillianResource
    URL base;

    private ProxyHttp http;
    private String token;
    private AnthropicClient client;

    @BeforeEach
    void connect() throws Exception {
        http = new ProxyHttp(base);
        token = http.issueToken("failures-it", "10m");
        client = AnthropicOkHttpClient.builder().baseUrl(http.base()).apiKey(token)
                .maxRetries(0).timeout(Duration.ofSeconds(20)).build();
    }

    private static MessageCreateParams hello() {
        return MessageCreateParams.builder().model("claude-sonnet-4-5").maxTokens(64L).addUserMessage("Hello").build();
    }

    @Test
    void noHeadersBeforeTheDeadlineIs504() throws Exception {
        upstream.mode(ScriptedUpstream.Mode.HANG);
        long started = System.nanoTime();
        GatewayTimeoutException e = assertThrows(GatewayTimeoutException.class, () -> client.messages().create(hello()));
        long millis = (System.nanoTime() - started) / 1_000_000;
        assertEquals(504, e.statusCode());
        assertEquals("api_error", e.type().orElseThrow().asString());
        assertTrue(e.apiMessage().orElseThrow().contains("1s"), e.apiMessage().orElseThrow());
        assertTrue(millis < 10_000, "answered after " + millis + " ms");
        assertTrue(upstream.awaitRequest(1));
        assertEquals(List.of("false"), e.headers().values("x-should-retry"), "the proxy already waited the whole deadline");
    }

    @Test
    void anUpstreamThatHangsUpIs502() {
        upstream.mode(ScriptedUpstream.Mode.CLOSE_AT_ONCE);
        InternalServerException e = assertThrows(InternalServerException.class, () -> client.messages().create(hello()));
        assertEquals(502, e.statusCode());
        assertEquals("api_error", e.type().orElseThrow().asString());
        assertEquals(List.of("true"), e.headers().values("x-should-retry"), "another try may reach the upstream");
    }

    /**
     * The SDK retries every 5xx unless told otherwise: with two retries allowed, a 504 (after the
     * proxy waited the whole deadline) is sent once, a 502 three times.
     */
    @ParameterizedTest(name = "{0}: {1}, x-should-retry {2}, {3} upstream request(s)")
    @CsvSource({"HANG, 504, false, 1", "CLOSE_AT_ONCE, 502, true, 3"})
    void theSdkFollowsTheProxysRetryHint(ScriptedUpstream.Mode mode, int status, String hint, int requests) {
        upstream.mode(mode);
        AnthropicClient retrying = AnthropicOkHttpClient.builder().baseUrl(http.base()).apiKey(token)
                .maxRetries(2).timeout(Duration.ofSeconds(20)).build();
        AnthropicServiceException e = assertThrows(AnthropicServiceException.class, () -> retrying.messages().create(hello()));
        assertEquals(status, e.statusCode());
        assertEquals(List.of(hint), e.headers().values("x-should-retry"));
        assertEquals(requests, upstream.requests(), "requests that reached the upstream");
    }

    @Test
    void aResetMidStreamEndsTheStreamWithAnErrorEvent() {
        upstream.mode(ScriptedUpstream.Mode.RESET_MID_STREAM);
        List<String> seen = new ArrayList<>();
        SseException e = assertThrows(SseException.class, () -> {
            try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(hello())) {
                stream.stream().forEach(event -> {
                    seen.add(event.isMessageStart() ? "message_start" : "other");
                    upstream.allowReset();
                });
            }
        });
        assertEquals("message_start", seen.get(0), "events sent before the reset reach the client");
        assertEquals("api_error", e.type().orElseThrow().asString());
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = ScriptedUpstream.Mode.class, names = {"RESET_MID_CHUNKED_BODY", "RESET_MID_SIZED_BODY"})
    void aBodyThatBreaksOffBreaksTheClientConnectionInsteadOfEndingCleanly(ScriptedUpstream.Mode mode) throws Exception {
        upstream.mode(mode);
        String token = http.issueToken("failures-it", "5m");
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("GET " + base.getPath() + "v1/models HTTP/1.1\r\nHost: x\r\nx-api-key: " + token
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            byte[] buffer = new byte[4096];
            long started = System.nanoTime();
            boolean releasedReset = false;
            for (int read; (read = readOrEnd(in, buffer)) >= 0; ) {
                received.write(buffer, 0, read);
                if (!releasedReset && received.toString(StandardCharsets.US_ASCII).contains("\r\n\r\n")) {
                    upstream.allowReset();
                    releasedReset = true;
                }
            }
            long millis = (System.nanoTime() - started) / 1_000_000;
            String text = received.toString(StandardCharsets.US_ASCII);
            assertTrue(text.startsWith("HTTP/1.1 200"), text);
            assertFalse(text.endsWith("0\r\n\r\n"), "a broken body must not end like a whole one: " + text);
            assertTrue(millis < 8_000, "the connection broke at once, not at a keep-alive timeout: " + millis + " ms");
        }
    }

    /** Reads, treating a reset connection as the end it is. */
    private static int readOrEnd(InputStream in, byte[] buffer) throws IOException {
        try {
            return in.read(buffer);
        } catch (SocketException e) {
            return -1;
        }
    }

    @Test
    void theProxyServesNormallyAfterEachFailure() throws Exception {
        upstream.mode(ScriptedUpstream.Mode.CLOSE_AT_ONCE);
        assertThrows(InternalServerException.class, () -> client.messages().create(hello()));
        HttpResponse<String> health = http.send(http.request("/health").GET().build());
        assertEquals(200, health.statusCode());
        HttpResponse<String> token = http.requestToken("{\"ttl\":\"1m\"}");
        assertEquals(201, token.statusCode());
        upstream.mode(ScriptedUpstream.Mode.HANG);
        HttpResponse<String> timedOut = http.send(http.request("/v1/messages").header("x-api-key",
                token.body().replaceAll(".*\"token\":\"(crd_[^\"]+)\".*", "$1"))
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build());
        assertEquals(504, timedOut.statusCode());
        assertTrue(timedOut.body().startsWith("{\"type\":\"error\""), timedOut.body());
    }
}
