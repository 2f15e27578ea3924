package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.FakeAnthropic.Received;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyWar;
import dev.creddy.anthropic.it.support.Wire;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Compressed bodies cross the proxy as they are, both ways: the same bytes and the same
 * {@code Content-Encoding}, whatever the coding; the proxy never decompresses what it forwards.
 * Raw HTTP on both sides, since the test is about bytes.
 */
@ExtendWith(ArquillianExtension.class)
@Timeout(60)
class CompressedBodiesIT {

    private static final FakeAnthropic UPSTREAM = FakeAnthropic.shared();
    /** What Claude Code and the SDKs' fetch send. */
    private static final String ACCEPT_ENCODING = "gzip, deflate, br, zstd";

    @Deployment(testable = false)
    static WebArchive proxy() {
        return ProxyWar.withSettings("compressed.war", ProxyWar.standardSettings());
    }

    @ArquillianResource
    URL base;

    private ProxyHttp http;
    private String token;

    @BeforeEach
    void issueToken() throws Exception {
        UPSTREAM.reset();
        http = new ProxyHttp(base);
        token = http.issueToken("compressed-it", "10m");
    }

    static byte[] gzip(byte[] plain) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
            gzip.write(plain);
        }
        return out.toByteArray();
    }

    private static byte[] gunzip(byte[] compressed) throws IOException {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(compressed))) {
            return in.readAllBytes();
        }
    }

    @Test
    void aGzipJsonAnswerArrivesByteIdentical() throws Exception {
        byte[] json = Wire.message("msg_gzip_01", "Hello through gzip ".repeat(200).strip()).getBytes(StandardCharsets.UTF_8);
        byte[] compressed = gzip(json);
        UPSTREAM.respondWith((request, exchange) -> {
            exchange.getResponseHeaders().set("content-type", "application/json");
            exchange.getResponseHeaders().set("content-encoding", "gzip");
            exchange.getResponseHeaders().set("vary", "Accept-Encoding");
            exchange.getResponseHeaders().set("request-id", UPSTREAM.nextRequestId());
            exchange.sendResponseHeaders(200, compressed.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(compressed);
            }
        });
        HttpResponse<byte[]> response = http.send(http.request("/v1/messages?beta=true").header("x-api-key", token)
                .header("content-type", "application/json").header("accept-encoding", ACCEPT_ENCODING)
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":64,\"messages\":[]}"))
                .build(), HttpResponse.BodyHandlers.ofByteArray());

        assertEquals(200, response.statusCode());
        assertEquals("gzip", response.headers().firstValue("content-encoding").orElseThrow());
        assertEquals(String.valueOf(compressed.length), response.headers().firstValue("content-length").orElseThrow());
        assertArrayEquals(compressed, response.body(), "the compressed bytes themselves, not a re-compression");
        assertArrayEquals(json, gunzip(response.body()));
        assertEquals("gzip, deflate", UPSTREAM.takeRequest().header("accept-encoding"),
                "the client's codings that the usage meter can read reach the upstream");
    }

    @Test
    void aGzipRequestBodyArrivesByteIdentical() throws Exception {
        byte[] json = ("{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":64,\"messages\":[{\"role\":\"user\",\"content\":\""
                + "compress me ".repeat(5_000) + "\"}]}").getBytes(StandardCharsets.UTF_8);
        byte[] compressed = gzip(json);
        HttpResponse<String> response = http.send(http.request("/v1/messages").header("x-api-key", token)
                .header("content-type", "application/json").header("content-encoding", "gzip")
                .POST(HttpRequest.BodyPublishers.ofByteArray(compressed)).build());
        assertEquals(200, response.statusCode(), response.body());
        Received received = UPSTREAM.takeRequest();
        assertEquals("gzip", received.header("content-encoding"));
        assertEquals(String.valueOf(compressed.length), received.header("content-length"));
        assertArrayEquals(compressed, received.body());
    }

    /**
     * Codings the proxy could not even decode pass as well where it does not read the body: to the proxy
     * such a body is opaque bytes. (A Messages body it reads for the files it names: see
     * ObjectOwnershipContract for a coding it cannot decode there.)
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"br", "zstd", "deflate", "gzip, br"})
    void anyCodingPassesBothWaysUntouched(String coding) throws Exception {
        byte[] upload = new byte[256 * 1024 + 17];
        new Random(coding.hashCode()).nextBytes(upload);
        byte[] answer = new byte[512 * 1024 + 3];
        new Random(~coding.hashCode()).nextBytes(answer);
        UPSTREAM.respondWith((request, exchange) -> {
            exchange.getResponseHeaders().set("content-type", "application/json");
            exchange.getResponseHeaders().set("content-encoding", coding);
            // No length: the answer comes chunked, as compressed streams usually do.
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                for (int offset = 0; offset < answer.length; offset += 8192) {
                    out.write(answer, offset, Math.min(8192, answer.length - offset));
                }
            }
        });
        HttpResponse<byte[]> response = http.send(http.request("/v1/complete").header("x-api-key", token)
                .header("content-type", "application/json").header("content-encoding", coding)
                .header("accept-encoding", ACCEPT_ENCODING)
                .POST(HttpRequest.BodyPublishers.ofByteArray(upload)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, response.statusCode());
        assertEquals(coding, response.headers().firstValue("content-encoding").orElseThrow());
        assertArrayEquals(answer, response.body());
        Received received = UPSTREAM.takeRequest();
        assertEquals(coding, received.header("content-encoding"));
        assertArrayEquals(upload, received.body());
    }
}
