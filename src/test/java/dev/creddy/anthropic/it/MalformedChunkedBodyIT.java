package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.LogCapture;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyWar;
import jakarta.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Issue 15, S14: what a client sees when its chunked request body is malformed, on Tomcat (10.1, the
 * WAR as the tests deploy it and as the standalone jar runs it).
 *
 * <p>The proxy decides a 400 {@code invalid_request_error} (the audit line says
 * {@code request_body_malformed}, status 400), but on Tomcat that answer cannot reach the client, and
 * this test pins down what does instead: the connection is closed with not one byte of response, at
 * once (no hang). Why the application cannot answer: the chunk is parsed only when the application
 * reads (in its {@code ReadListener.onDataAvailable}); the failed read makes Tomcat's
 * {@code InputBuffer} call {@code sendError(400)} itself, which suspends the response (whatever the
 * application writes afterwards is dropped), and as soon as {@code onDataAvailable} returns,
 * {@code CoyoteAdapter.asyncDispatch} finds the read's exception and closes the connection
 * ({@code ActionCode.CLOSE_NOW}) before any error page is rendered. No filter, valve or listener of the
 * application runs in between. A client therefore sees a broken connection, as with any other framing
 * error, and an SDK retries it as a connection error. A request refused before its body is read (a bad
 * token, a body declared too large) still gets its JSON error, with {@code Connection: close}.
 */
@ExtendWith(ArquillianExtension.class)
@Timeout(60)
class MalformedChunkedBodyIT {

    private static final FakeAnthropic UPSTREAM = FakeAnthropic.shared();
    private static final LogCapture LOGS = LogCapture.start();

    @Deployment(testable = false)
    static WebArchive proxy() {
        return ProxyWar.withSettings("chunks.war", ProxyWar.standardSettings());
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

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "a chunk size that is not hex   | 5\\r\\n{\"a\":\\r\\nzz\\r\\n1}\\r\\n0\\r\\n\\r\\n",
            "chunk data longer than its size | 3\\r\\n{\"model\":\"x\"}\\r\\n0\\r\\n\\r\\n",
            "a negative chunk size           | -5\\r\\n{\"a\":\\r\\n0\\r\\n\\r\\n",
    })
    void theClientSeesTheConnectionClosedWithNoResponse(String name, String escapedBody) throws Exception {
        String agent = "chunks-" + Long.toHexString(System.nanoTime());
        String token = http.issueToken(agent, "10m");
        String body = escapedBody.strip().replace("\\r\\n", "\r\n");
        byte[] seen;
        long started = System.nanoTime();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), 5_000);
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write(("POST " + base.getPath() + "v1/messages HTTP/1.1\r\nHost: x\r\nx-api-key: " + token
                    + "\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n" + body)
                    .getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            seen = readToEnd(socket.getInputStream());
        }
        assertEquals("", new String(seen, StandardCharsets.ISO_8859_1),
                "Tomcat closes the connection before any response byte: the proxy's 400 cannot be seen");
        assertTrue(System.nanoTime() - started < Duration.ofSeconds(15).toNanos(), "closed at once, not after a timeout");
        JsonObject line = awaitForwardLine(agent);
        assertEquals(400, line.getInt("status"), "the proxy decided 400: " + line);
        assertEquals("request_body_malformed", line.getString("outcome"));
    }

    /** Everything the server sends until it closes; a reset counts as the end. */
    private static byte[] readToEnd(InputStream in) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] buffer = new byte[4096];
        try {
            for (int read; (read = in.read(buffer)) >= 0; ) {
                all.write(buffer, 0, read);
            }
        } catch (SocketException reset) {
            // Closed with unread bytes of ours still in its buffer: a reset, which is a close too.
        }
        return all.toByteArray();
    }

    private static JsonObject awaitForwardLine(String agent) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            List<JsonObject> lines = LOGS.auditLines().stream().filter(line -> agent.equals(line.getString("agent", ""))
                    && "forward".equals(line.getString("event", ""))).toList();
            if (!lines.isEmpty()) {
                return lines.get(0);
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no audit line for " + agent + " within 10 s");
    }
}
