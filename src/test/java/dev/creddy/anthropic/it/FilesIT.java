package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.HttpResponse;
import com.anthropic.models.beta.files.BetaFileMetadata;
import com.anthropic.models.beta.files.FileUploadParams;
import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.FakeAnthropic.Received;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyObjects;
import dev.creddy.anthropic.it.support.ProxyWar;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URL;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
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
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Files API through the proxy: large multipart uploads and downloads stream through, byte for
 * byte, without being held (the far side sees the first megabyte long before the near side has
 * produced the whole body); bulk uploads get {@code max-upload-body} (500 MB), everything else keeps
 * {@code max-request-body} (32 MB). Bodies are generated on the fly on both sides and compared by
 * SHA-256, so no test party holds 50 MB either.
 */
@ExtendWith(ArquillianExtension.class)
@Timeout(120)
class FilesIT {

    private static final FakeAnthropic UPSTREAM = FakeAnthropic.shared();
    private static final long FILE_SIZE = 50L * 1024 * 1024 + 321;
    /** Well past any socket buffers between the parties, well short of the whole body. */
    private static final long STREAMING_BOUND = 40L * 1024 * 1024;
    private static final String BETA = "files-api-2025-04-14";

    @Deployment(testable = false)
    static WebArchive proxy() {
        return ProxyWar.withSettings("files.war", ProxyWar.standardSettings());
    }

    @ArquillianResource
    URL base;

    private ProxyHttp http;
    private String token;

    @BeforeEach
    void connect() throws Exception {
        UPSTREAM.reset();
        http = new ProxyHttp(base);
        token = http.issueTokenForEveryEndpoint("files-it", "10m");
    }

    /** What the upstream saw of a streamed body. */
    private record Seen(long bytes, byte[] sha256, long producedWhenFirstMegabyteArrived) {
    }

    @ParameterizedTest(name = "length declared: {0}")
    @ValueSource(booleans = {true, false})
    void aLargeMultipartUploadStreamsThroughByteIdentical(boolean declared) throws Exception {
        String boundary = "----creddy" + Long.toHexString(new Random(7).nextLong());
        byte[] preamble = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"corpus.bin\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] epilogue = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII);
        long length = preamble.length + FILE_SIZE + epilogue.length;
        GeneratedBytes file = new GeneratedBytes(11, FILE_SIZE);
        MessageDigest sent = sha256();

        AtomicReference<Seen> seen = new AtomicReference<>();
        UPSTREAM.respondStreaming((head, body, exchange) -> {
            seen.set(readAll(body, file));
            FakeAnthropic.json(exchange, 200, fileMetadata("file_011CUpload", seen.get().bytes()));
        });
        HttpRequest.BodyPublisher generated = HttpRequest.BodyPublishers.ofInputStream(() -> new DigestInputStream(
                new SequenceInputStream(new SequenceInputStream(new ByteArrayInputStream(preamble), file),
                        new ByteArrayInputStream(epilogue)), sent));
        java.net.http.HttpResponse<String> response = http.send(http.request("/v1/files?beta=true")
                .timeout(Duration.ofSeconds(90)).header("x-api-key", token).header("anthropic-beta", BETA)
                .header("content-type", "multipart/form-data; boundary=" + boundary)
                .POST(declared ? HttpRequest.BodyPublishers.fromPublisher(generated, length) : generated).build());

        assertEquals(200, response.statusCode(), response.body());
        Received received = UPSTREAM.takeRequest();
        assertEquals("/v1/files", received.path());
        assertEquals("multipart/form-data; boundary=" + boundary, received.header("content-type"));
        assertEquals(BETA, received.header("anthropic-beta"));
        assertEquals(ProxyWar.REAL_KEY, received.header("x-api-key"));
        assertEquals(declared ? String.valueOf(length) : null, received.header("content-length"));
        assertEquals(length, seen.get().bytes());
        assertArrayEquals(sent.digest(), seen.get().sha256(), "the upstream got the very bytes the client sent");
        assertTrue(seen.get().producedWhenFirstMegabyteArrived() < STREAMING_BOUND,
                "the upstream had its first megabyte when the client had produced only "
                        + seen.get().producedWhenFirstMegabyteArrived() + " bytes of the file: nothing held the body");
    }

    @Test
    void aLargeDownloadStreamsThroughByteIdentical() throws Exception {
        GeneratedBytes file = new GeneratedBytes(23, FILE_SIZE);
        // The proxy reaches only files its token's agent created through it (issue 15, S8).
        ProxyObjects.createFiles(UPSTREAM, http, token, "file_011CDown");
        UPSTREAM.respondWith((request, exchange) -> {
            exchange.getResponseHeaders().set("content-type", "application/octet-stream");
            exchange.getResponseHeaders().set("request-id", UPSTREAM.nextRequestId());
            exchange.sendResponseHeaders(200, FILE_SIZE);
            try (OutputStream out = exchange.getResponseBody()) {
                file.transferTo(out);
            }
        });
        java.net.http.HttpResponse<InputStream> response = http.send(http.request("/v1/files/file_011CDown/content?beta=true")
                .timeout(Duration.ofSeconds(90)).header("x-api-key", token).header("anthropic-beta", BETA).GET().build(),
                java.net.http.HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, response.statusCode());
        assertEquals(String.valueOf(FILE_SIZE), response.headers().firstValue("content-length").orElseThrow());
        Seen seen;
        try (InputStream body = response.body()) {
            seen = readAll(body, file);
        }
        assertEquals(FILE_SIZE, seen.bytes());
        assertArrayEquals(GeneratedBytes.sha256(23, FILE_SIZE), seen.sha256());
        assertTrue(seen.producedWhenFirstMegabyteArrived() < STREAMING_BOUND,
                "the client had its first megabyte when the upstream had written " + seen.producedWhenFirstMegabyteArrived()
                        + " bytes: nothing held the body");
        assertEquals("/v1/files/file_011CDown/content", UPSTREAM.takeRequest().path());
    }

    @Test
    void theJavaSdkUploadsAndDownloadsAFile() throws Exception {
        byte[] content = new byte[3 * 1024 * 1024 + 5];
        new Random(5).nextBytes(content);
        AtomicReference<byte[]> uploaded = new AtomicReference<>();
        UPSTREAM.respondStreaming((head, body, exchange) -> {
            if (head.method().equals("POST")) {
                uploaded.set(body.readAllBytes());
                FakeAnthropic.json(exchange, 200, fileMetadata("file_011CSdk", content.length));
            } else {
                exchange.getResponseHeaders().set("content-type", "application/octet-stream");
                exchange.sendResponseHeaders(200, content.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(content);
                }
            }
        });
        AnthropicClient client = AnthropicOkHttpClient.builder().baseUrl(http.base()).apiKey(token).maxRetries(0)
                .timeout(Duration.ofSeconds(60)).build();
        BetaFileMetadata metadata = client.beta().files().upload(FileUploadParams.builder().file(content).build());
        assertEquals("file_011CSdk", metadata.id());
        Received upload = UPSTREAM.takeRequest();
        assertTrue(upload.header("content-type").startsWith("multipart/form-data; boundary="), upload.header("content-type"));
        assertTrue(contains(uploaded.get(), content), "the file's bytes are inside the multipart body");

        try (HttpResponse download = client.beta().files().download("file_011CSdk")) {
            assertEquals(200, download.statusCode());
            assertArrayEquals(content, download.body().readAllBytes());
        }
        assertEquals("/v1/files/file_011CSdk/content", UPSTREAM.takeRequest().path());
    }

    /** Declared lengths are checked before a byte is read: bulk uploads up to 500 MB, everything else up to 32 MB. */
    @ParameterizedTest(name = "{0} {1} with {2} bytes -> {3}")
    @CsvSource({
            "POST, /v1/files, 524288001, 413, 500MB",
            "POST, /v1/messages/batches, 524288001, 413, 500MB",
            "POST, /v1/messages, 33554433, 413, 32MB",
            "POST, /v1/messages/count_tokens, 33554433, 413, 32MB",
            "PUT, /v1/files, 33554433, 413, 32MB",
    })
    void declaredBodiesOverTheEndpointsLimitAre413(String method, String path, long length, int status, String limit)
            throws Exception {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), 5_000);
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write((method + " " + base.getPath() + path.substring(1) + " HTTP/1.1\r\nHost: x\r\n"
                    + "x-api-key: " + token + "\r\ncontent-type: application/octet-stream\r\ncontent-length: " + length
                    + "\r\nconnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            // Only the answer is read: the body was never sent, and the connection waits for it.
            String answer = readResponse(socket.getInputStream());
            assertTrue(answer.startsWith("HTTP/1.1 " + status), answer);
            assertTrue(answer.toLowerCase(java.util.Locale.ROOT).contains("x-should-retry: false"), answer);
            assertTrue(answer.contains("\"request_too_large\"") && answer.contains("limit of " + limit), answer);
        }
        assertEquals(0, UPSTREAM.pendingRequests());
    }

    /** One HTTP/1.1 response with a Content-Length body, as text. */
    private static String readResponse(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.append((char) b);
        }
        java.util.regex.Matcher length = java.util.regex.Pattern.compile("(?im)^content-length:\\s*(\\d+)").matcher(head);
        byte[] body = length.find() ? in.readNBytes(Integer.parseInt(length.group(1))) : new byte[0];
        return head + new String(body, StandardCharsets.UTF_8);
    }

    private static String fileMetadata(String id, long size) {
        return "{\"id\":\"" + id + "\",\"type\":\"file\",\"filename\":\"corpus.bin\",\"mime_type\":\"application/octet-stream\","
                + "\"size_bytes\":" + size + ",\"created_at\":\"2026-11-26T12:00:00Z\",\"downloadable\":true}";
    }

    /** Reads a stream to its end with a digest, noting how far {@code producer} was when the first megabyte arrived. */
    private static Seen readAll(InputStream in, GeneratedBytes producer) throws IOException {
        MessageDigest digest = sha256();
        byte[] buffer = new byte[64 * 1024];
        long total = 0;
        long producedAtFirstMegabyte = -1;
        for (int read; (read = in.read(buffer)) >= 0; ) {
            digest.update(buffer, 0, read);
            total += read;
            if (producedAtFirstMegabyte < 0 && total >= 1024 * 1024) {
                producedAtFirstMegabyte = producer.produced();
            }
        }
        return new Seen(total, digest.digest(), producedAtFirstMegabyte);
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * {@code length} pseudo-random bytes from a seed, made as they are read: a large body no party
     * holds. Counts what it has produced, so a test can tell how far ahead the producer is.
     */
    static final class GeneratedBytes extends InputStream {
        private final SplittableRandom random;
        private final long length;
        private final AtomicLong produced = new AtomicLong();
        private long word;
        private int wordBytes;

        GeneratedBytes(long seed, long length) {
            this.random = new SplittableRandom(seed);
            this.length = length;
        }

        long produced() {
            return produced.get();
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] into, int offset, int count) {
            long left = length - produced.get();
            if (left <= 0) {
                return -1;
            }
            int n = (int) Math.min(count, left);
            for (int i = 0; i < n; i++) {
                if (wordBytes == 0) {
                    word = random.nextLong();
                    wordBytes = 8;
                }
                into[offset + i] = (byte) word;
                word >>>= 8;
                wordBytes--;
            }
            produced.addAndGet(n);
            return n;
        }

        static byte[] sha256(long seed, long length) throws IOException {
            MessageDigest digest = FilesIT.sha256();
            try (InputStream in = new GeneratedBytes(seed, length)) {
                byte[] buffer = new byte[64 * 1024];
                for (int read; (read = in.read(buffer)) >= 0; ) {
                    digest.update(buffer, 0, read);
                }
            }
            return digest.digest();
        }
    }
}
