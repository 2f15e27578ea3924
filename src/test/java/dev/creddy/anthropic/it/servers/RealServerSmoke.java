package dev.creddy.anthropic.it.servers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.UnauthorizedException;
import com.anthropic.models.messages.ContentBlock;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.FakeAnthropic.Received;
import dev.creddy.anthropic.it.support.Poll;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyWar;
import dev.creddy.anthropic.it.support.Scrape;
import dev.creddy.anthropic.it.support.StreamGate;
import dev.creddy.anthropic.it.support.Wire;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * The smoke suite every real server passes: the WAR built for it, deployed unchanged, its key
 * provisioned through the server's own JNDI mechanism from the server's environment, the official
 * SDK as the client and the fake Anthropic API as the upstream. A subclass starts its server (as a
 * process, in {@code @BeforeAll}) and says where things are; the last test stops it and reads its
 * logs, and {@link #stopServer()} stops it by PID whatever happened before.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(60)
abstract class RealServerSmoke {

    static final FakeAnthropic UPSTREAM = FakeAnthropic.shared();
    /** How long a server may take from launch to a healthy proxy: Payara Micro needs ~30 s on 2 busy cores. */
    static final Duration START_DEADLINE = Duration.ofMinutes(3);

    private final List<String> issued = new CopyOnWriteArrayList<>();
    private final String jndiPrefix;
    private ServerProcess server;
    private String proxyUrl;

    /** @param jndiPrefix where this server's mechanism binds the settings, e.g. {@code java:global/creddy/} */
    RealServerSmoke(String jndiPrefix) {
        this.jndiPrefix = jndiPrefix;
    }

    /** Called by the subclass as soon as its server process exists, so it is stopped whatever happens next. */
    final void started(ServerProcess server, String proxyUrl) {
        this.server = server;
        this.proxyUrl = proxyUrl;
    }

    /** The proxy's base URL with its context path, without a trailing slash. */
    final String proxyUrl() {
        return proxyUrl;
    }

    /** The running server, or {@code null} before it was started. */
    final ServerProcess server() {
        return server;
    }

    /** Everything the server logged, console and files; complete once it has stopped. */
    abstract String serverLogs() throws IOException;

    /** Deploys (or has deployed) the other WAR and checks it was refused with a message naming this server's WAR. */
    abstract void assertWrongWarRefused() throws Exception;

    /** Whether the server may listen on the wildcard address: only inside a private network namespace. */
    boolean mayListenOnWildcard() {
        return false;
    }

    /** More checks once the server stopped, on its complete logs. */
    void afterStop(String logs) throws IOException {
    }

    /** The environment that provisions the proxy: the server's JNDI bindings read the secrets from it. */
    static Map<String, String> provisioningEnvironment() {
        return Map.of(
                "ANTHROPIC_API_KEY", ProxyWar.REAL_KEY,
                "CREDDY_ISSUER_KEY", ProxyWar.ISSUER_KEY,
                "CREDDY_UPSTREAM_URL", UPSTREAM.baseUrl());
    }

    @BeforeEach
    void resetUpstream() {
        UPSTREAM.reset();
    }

    @AfterAll
    void stopServer() throws InterruptedException {
        if (server() != null) {
            server().stop();
        }
    }

    @Test
    @Order(1)
    void startsHealthyWithTheSecretsFromTheServersJndi() throws Exception {
        ProxyHttp http = new ProxyHttp(proxyUrl());
        HttpResponse<String> health = http.send(http.request("/health").GET().build());
        assertEquals(200, health.statusCode(), health.body());
        assertEquals("{\"status\":\"ok\"}", health.body());
        // The environment has the key too, as ANTHROPIC_API_KEY; JNDI must be where it came from.
        String logs = serverLogs();
        assertTrue(logs.contains("anthropic-api-key <- JNDI " + jndiPrefix + "anthropic-api-key"), "key origin not logged as JNDI");
        assertTrue(logs.contains("issuer-key <- JNDI " + jndiPrefix + "issuer-key"), "issuer key origin not logged as JNDI");
    }

    @Test
    @Order(2)
    void listensOnLoopbackOnly() {
        List<InetSocketAddress> sockets = LoopbackNetwork.listeningSockets(server().handle());
        assertFalse(sockets.isEmpty(), "the server listens somewhere");
        for (InetSocketAddress socket : sockets) {
            boolean allowed = socket.getAddress().isLoopbackAddress()
                    || mayListenOnWildcard() && socket.getAddress().isAnyLocalAddress();
            assertTrue(allowed, server().name() + " listens on " + socket + "; all: " + sockets);
        }
    }

    @Test
    @Order(3)
    void answersThroughTheSdkWithTheRealKeyUpstream() throws Exception {
        AnthropicClient client = sdk(issueToken());
        String text = client.messages().create(hello()).content().stream()
                .filter(ContentBlock::isText).map(block -> block.asText().text()).collect(Collectors.joining());
        assertEquals("Hello from the fake", text);
        Received received = UPSTREAM.takeRequest();
        assertEquals("/v1/messages", received.path(), "the context path is the proxy's, not the upstream's");
        assertEquals(ProxyWar.REAL_KEY, received.header("x-api-key"));
        assertNull(received.header("authorization"));
    }

    @Test
    @Order(4)
    void streamsThroughTheSdkEventByEvent() throws Exception {
        List<Wire.Event> events = Wire.textEvents("one", "two", "three", "four", "five");
        StreamGate gate = new StreamGate(Wire.surfaced(events), 5_000);
        UPSTREAM.respondWith((request, exchange) -> FakeAnthropic.streamMessage(exchange, events, gate));
        StringBuilder text = new StringBuilder();
        try (StreamResponse<RawMessageStreamEvent> stream = sdk(issueToken()).messages().createStreaming(hello())) {
            int index = 0;
            for (RawMessageStreamEvent event : (Iterable<RawMessageStreamEvent>) stream.stream()::iterator) {
                gate.clientSaw(index++);
                if (event.isContentBlockDelta()) {
                    text.append(event.asContentBlockDelta().delta().asText().text());
                }
            }
        }
        assertEquals("one two three four five", text.toString());
        assertEquals(0, gate.stalls(), "each event reached the client before the upstream wrote the next: nothing buffers");
        assertEquals(ProxyWar.REAL_KEY, UPSTREAM.takeRequest().header("x-api-key"));
    }

    @Test
    @Order(5)
    void refusesAnInvalidToken() {
        AnthropicClient client = sdk("crd_" + "Z".repeat(43));
        UnauthorizedException refused = assertThrows(UnauthorizedException.class, () -> client.messages().create(hello()));
        assertEquals("authentication_error", refused.type().orElseThrow().asString());
        assertEquals(0, UPSTREAM.pendingRequests(), "the upstream never saw it");
    }

    @Test
    @Order(6)
    void refusesTheWrongWarNamingTheRightOne() throws Exception {
        assertWrongWarRefused();
    }

    @Test
    @Order(7)
    void isReadyAndCountsItsTrafficForPrometheus() throws Exception {
        ProxyHttp http = new ProxyHttp(proxyUrl());
        HttpResponse<String> ready = http.send(http.request("/health/ready").GET().build());
        assertEquals(200, ready.statusCode(), ready.body());
        assertTrue(ready.body().startsWith("{\"status\":\"ok\""), ready.body());
        // Tests 3 to 5: two SDK calls with their own tokens, one refused token.
        Scrape scrape = Poll.until(Duration.ofSeconds(10), () -> Scrape.parse(http.send(http.request("/metrics")
                .header("Authorization", "Bearer " + ProxyWar.ISSUER_KEY).GET().build()).body()),
                s -> s.value("creddy_requests_total", "agent", "servers-smoke", "endpoint", "messages", "method", "POST",
                        "status", "200") == 2.0);
        assertEquals(2.0, scrape.value("creddy_requests_total", "agent", "servers-smoke", "endpoint", "messages", "method",
                "POST", "status", "200"), scrape.all().toString());
        assertEquals(1.0, scrape.value("creddy_requests_total", "agent", "none", "endpoint", "messages", "method", "POST",
                "status", "401"));
        assertEquals(2.0, scrape.value("creddy_tokens_issued_total"));
        assertEquals(1.0, scrape.value("creddy_token_validation_failures_total", "reason", "unknown"));
    }

    @Test
    @Order(100)
    void stopsAndLeavesNoSecretInItsLogs() throws Exception {
        server().stop();
        assertFalse(server().isAlive());
        String logs = serverLogs();
        assertTrue(logs.contains("creddy-anthropic started with"), "these are the logs of the server that ran the proxy");
        assertFalse(logs.contains(ProxyWar.REAL_KEY), "the real key is in " + server().name() + "'s logs");
        assertFalse(logs.contains(ProxyWar.ISSUER_KEY), "the issuer key is in " + server().name() + "'s logs");
        for (String token : issued) {
            assertFalse(logs.contains(token.substring("crd_".length())), "a token is in " + server().name() + "'s logs");
        }
        afterStop(logs);
    }

    // --- for subclasses ----------------------------------------------------------------------------

    /** Polls the proxy's health until it answers 200: the time from {@code since} is the server's start-to-ready. */
    static Duration awaitHealthy(ServerProcess server, String proxyUrl, long since) throws InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest health = HttpRequest.newBuilder(URI.create(proxyUrl + "/health")).timeout(Duration.ofSeconds(5)).build();
        long deadline = since + START_DEADLINE.toNanos();
        while (System.nanoTime() < deadline) {
            if (!server.isAlive()) {
                throw new AssertionError(server.name() + " exited before the proxy was ready:\n" + tail(server.console()));
            }
            try {
                if (http.send(health, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return Duration.ofNanos(System.nanoTime() - since);
                }
            } catch (IOException notYet) {
                // Not listening yet.
            }
            Thread.sleep(200);
        }
        throw new AssertionError(server.name() + " did not serve " + proxyUrl + "/health within " + START_DEADLINE
                + ":\n" + tail(server.console()));
    }

    /** One line per server in the build's output and in {@code servers-run/ready-times.txt}. */
    static void reportTiming(Path runRoot, String line) throws IOException {
        System.out.println("[servers] " + line);
        Files.createDirectories(runRoot);
        Files.writeString(runRoot.resolve("ready-times.txt"), Instant.now() + " " + line + System.lineSeparator(), StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    /** Every text file under {@code roots} (logs, consoles), concatenated. */
    static String readLogs(Path... roots) throws IOException {
        StringBuilder all = new StringBuilder();
        for (Path root : roots) {
            if (!Files.exists(root)) {
                continue;
            }
            try (Stream<Path> files = Files.walk(root)) {
                for (Path file : files.filter(Files::isRegularFile).filter(RealServerSmoke::isLog).sorted().toList()) {
                    all.append("==> ").append(file).append('\n')
                            .append(new String(Files.readAllBytes(file), StandardCharsets.UTF_8)).append('\n');
                }
            }
        }
        return all.toString();
    }

    static Path runRoot() {
        return Path.of(System.getProperty("creddy.servers.run", "target/servers-run"));
    }

    static Path required(String property) {
        String value = System.getProperty(property);
        if (value == null) {
            throw new IllegalStateException("system property " + property + " is not set: run the servers suite through Maven");
        }
        Path path = Path.of(value).toAbsolutePath();
        if (!Files.exists(path)) {
            throw new IllegalStateException(property + " points to " + path + ", which does not exist");
        }
        return path;
    }

    static String tail(String text) {
        return text.length() <= 6_000 ? text : "…" + text.substring(text.length() - 6_000);
    }

    private static boolean isLog(Path file) {
        String name = file.getFileName().toString();
        return name.endsWith(".log") || name.endsWith(".txt") || name.endsWith(".out");
    }

    private String issueToken() throws IOException, InterruptedException {
        String token = new ProxyHttp(proxyUrl()).issueToken("servers-smoke", "10m");
        issued.add(token);
        return token;
    }

    private AnthropicClient sdk(String token) {
        return AnthropicOkHttpClient.builder().baseUrl(proxyUrl()).apiKey(token).maxRetries(0)
                .timeout(Duration.ofSeconds(30)).build();
    }

    private static MessageCreateParams hello() {
        return MessageCreateParams.builder().model("claude-sonnet-4-5").maxTokens(64L).addUserMessage("Hello").build();
    }
}
