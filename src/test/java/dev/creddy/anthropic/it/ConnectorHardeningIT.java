package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyWar;
import dev.creddy.anthropic.it.support.RawHttp;
import dev.creddy.anthropic.it.support.RawHttp.Answer;
import dev.creddy.anthropic.it.support.RunningJar;
import dev.creddy.anthropic.it.support.SuiteRecorder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The standalone jar's client connector against what unauthenticated and careless clients send:
 * requests the connector itself refuses (S11), bodies left unread by a refusal (S5), one address
 * holding many connections (S6), and settings that are placeholders (S1). The jar runs as an
 * operator runs it, in its own JVM on loopback; its output joins the suite's leak audit.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
class ConnectorHardeningIT {

    private static final FakeAnthropic UPSTREAM = FakeAnthropic.shared();
    private static final int PER_ADDRESS = 12;

    private RunningJar jar;
    private URI base;
    private String token;

    @BeforeAll
    void launch() throws Exception {
        jar = RunningJar.start(List.of("--proxy", "--addr", "127.0.0.1:0", "--api-key", ProxyWar.REAL_KEY,
                "--upstream", UPSTREAM.baseUrl(), "--issuer-key", ProxyWar.ISSUER_KEY,
                "--max-connections-per-address", Integer.toString(PER_ADDRESS)));
        base = URI.create(jar.awaitListening());
        token = new ProxyHttp(base.toString()).issueToken("connector-it", "10m");
    }

    @AfterAll
    void stop() throws InterruptedException {
        if (jar != null) {
            jar.stop();
            SuiteRecorder.processLog(jar.output());
            String output = jar.output();
            for (String secret : List.of(ProxyWar.REAL_KEY, ProxyWar.ISSUER_KEY, token.substring("crd_".length()))) {
                assertFalse(output.contains(secret), "the jar logged a secret:\n" + output);
            }
            assertFalse(output.contains("Error parsing HTTP request header"), "a parse error was logged:\n" + output);
        }
    }

    private Answer raw(String request) throws IOException {
        return RawHttp.exchange(base.getHost(), base.getPort(), request.getBytes(StandardCharsets.ISO_8859_1), Duration.ofSeconds(10));
    }

    /** Each carries the issuer key or a live token where Tomcat's own report or log line would quote it. */
    private List<String> malformed() {
        String issuer = ProxyWar.ISSUER_KEY;
        StringBuilder manyHeaders = new StringBuilder("GET /health HTTP/1.1\r\nHost: x\r\n");
        for (int i = 0; i < 120; i++) {
            manyHeaders.append("X-Filler-").append(i).append(": ").append(token).append("\r\n");
        }
        return List.of(
                "GET /health HTTP/1.1\r\nHost: x\r\nAuthorization Bearer " + issuer + "\r\n\r\n",
                "POST /v1/tokens HTTP/1.1\r\nHost: x\r\nAuthori zation: Bearer " + issuer + "\r\nContent-Length: 2\r\n\r\n{}",
                "GET /v1/models%2F" + token + " HTTP/1.1\r\nHost: x\r\nx-api-key: " + token + "\r\n\r\n",
                "GET /v1/models?key=" + token + "\u0001 HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET /v1/" + token + "{} HTTP/1.1\r\nHost: x\r\n\r\n",
                manyHeaders + "\r\n",
                "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + token + "a".repeat(10_000) + "\r\n\r\n",
                "GET /health HTTP/1.1\r\nHost: x\r\nx-api-key: " + token + "\u0000\r\n\r\n");
    }

    @Test
    void connectorRefusalsAreAnthropicJsonWithoutVersionOrEcho() throws Exception {
        List<String> failures = new ArrayList<>();
        for (String request : malformed()) {
            Answer answer = raw(request);
            String text = answer.text();
            String lower = text.toLowerCase(Locale.ROOT);
            boolean ok = answer.status() == 400
                    && answer.head().toLowerCase(Locale.ROOT).contains("content-type: application/json")
                    && answer.body().startsWith("{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":")
                    && !lower.contains("tomcat") && !lower.contains("apache") && !lower.contains("<html")
                    && !lower.contains("exception") && !lower.contains("server:")
                    && !text.contains(ProxyWar.ISSUER_KEY) && !text.contains(token.substring(4))
                    && answer.closed();
            if (!ok) {
                failures.add(request.lines().findFirst().orElse("") + " ->\n" + text);
            }
        }
        assertTrue(failures.isEmpty(), "connector refusals that are not clean JSON:\n" + String.join("\n\n", failures));
    }

    @ParameterizedTest(name = "POST {0}")
    @ValueSource(strings = {"/v1/tokens", "/v1/tokens/tok_unknown", "/v1/usage", "/health", "/metrics", "/nothing-here",
            "/v1/messages"})
    void aRefusalOfAnUnreadBodyClosesTheConnectionAtOnce(String path) throws Exception {
        // A megabyte declared, one byte sent: swallowing the rest would hold a worker thread until it came.
        Answer answer = raw("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: 1000000\r\n\r\n{");
        assertTrue(answer.status() >= 400, answer.text());
        assertTrue(answer.head().toLowerCase(Locale.ROOT).contains("connection: close"), answer.text());
        assertTrue(answer.closed() && answer.elapsed().compareTo(Duration.ofSeconds(5)) < 0,
                "the connection must close at once, not wait for the body: " + answer.elapsed());
        assertTrue(answer.body().startsWith("{\"type\":\"error\""), answer.text());
    }

    @Test
    void oneAddressHoldsAtMostItsCapOfConnectionsAndOthersAreServed() throws Exception {
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < PER_ADDRESS; i++) {
                held.add(openFrom("127.0.0.3"));
            }
            // The cap counts what the acceptor registered; give the last one a moment to be counted.
            Thread.sleep(300);
            Socket refused = openFrom("127.0.0.3");
            held.add(refused);
            refused.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            Answer beyond = RawHttp.readUntilClosed(refused, Duration.ofSeconds(5), System.nanoTime());
            assertTrue(beyond.closed() && beyond.text().isEmpty(), "a connection over the cap is closed unanswered: " + beyond);

            // Another address is not affected, and a held connection still works.
            Socket other = openFrom("127.0.0.4");
            held.add(other);
            assertEquals(200, healthOver(other).status());
            assertEquals(200, healthOver(held.get(0)).status());
        } finally {
            for (Socket socket : held) {
                socket.close();
            }
        }
        // Once they are closed the address may connect again.
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        int status = -1;
        while (status != 200 && System.nanoTime() < deadline) {
            try (Socket again = openFrom("127.0.0.3")) {
                status = healthOver(again).status();
            }
            if (status != 200) {
                Thread.sleep(100);
            }
        }
        assertEquals(200, status, "the cap is released when the connections close");
    }

    @Test
    void oneConnectionServesFarMoreThanTomcatsHundredRequests() throws Exception {
        // Issue 14: a front proxy or an SDK keeps its connections; Tomcat's default closes one every 100 requests.
        try (Socket socket = openFrom("127.0.0.1")) {
            socket.setSoTimeout(10_000);
            java.io.InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
            for (int i = 1; i <= 250; i++) {
                socket.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                String head = readHead(in);
                assertTrue(head.startsWith("HTTP/1.1 200"), "request " + i + ": " + head);
                assertFalse(head.toLowerCase(Locale.ROOT).contains("connection: close"), "request " + i + " closed the connection");
                int length = Integer.parseInt(head.replaceAll("(?is).*content-length:\\s*(\\d+).*", "$1"));
                assertEquals(length, in.readNBytes(length).length);
            }
        }
    }

    private static String readHead(java.io.InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed after: " + head);
            }
            head.append((char) b);
        }
        return head.toString();
    }

    private Socket openFrom(String source) throws IOException {
        Socket socket = new Socket();
        socket.bind(new InetSocketAddress(source, 0));
        socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), 5_000);
        return socket;
    }

    private static Answer healthOver(Socket socket) throws IOException {
        socket.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        Answer answer = RawHttp.readUntilClosed(socket, Duration.ofSeconds(10), System.nanoTime());
        SuiteRecorder.response(answer.text());
        return answer;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"--issuer-key=${CREDDY_ISSUER_KEY}", "--api-key=", "--max-ttl=#{CREDDY_MAX_TTL}"})
    @Timeout(100)
    void aPlaceholderOrEmptySecretExitsTwoWithOneLineNamingTheSetting(String flag) throws Exception {
        RunningJar refused = RunningJar.start(List.of("--proxy", "--addr", "127.0.0.1:0", "--upstream", UPSTREAM.baseUrl(),
                flag));
        try {
            assertEquals(2, refused.awaitExit(Duration.ofSeconds(80)), refused.output());
            String setting = flag.substring(2, flag.indexOf('='));
            String key = setting.equals("api-key") ? "anthropic-api-key" : setting;
            List<String> lines = refused.stderr().lines().filter(line -> line.startsWith("creddy-anthropic: ")).toList();
            assertEquals(1, lines.size(), refused.stderr());
            assertTrue(lines.get(0).startsWith("creddy-anthropic: " + key + " (from flag --" + setting + ")"), lines.get(0));
            assertFalse(refused.stdout().contains("listening"), refused.stdout());
        } finally {
            refused.stop();
            SuiteRecorder.processLog(refused.output());
        }
    }
}
