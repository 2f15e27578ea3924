package dev.creddy.anthropic.it;

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
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.FakeAnthropic.Received;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyWar;
import dev.creddy.anthropic.it.support.RunningJar;
import dev.creddy.anthropic.it.support.Wire;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The standalone jar as an operator runs it: its own JVM, started with the original tool's flags,
 * serving the official SDK in front of the fake Anthropic API, and printing no secret on the way.
 */
@Timeout(120)
class StandaloneIT {

    private static final FakeAnthropic UPSTREAM = FakeAnthropic.shared();

    /** Every process a test started, stopped after it whatever the outcome. */
    private final List<RunningJar> started = new ArrayList<>();

    @BeforeEach
    void resetUpstream() {
        UPSTREAM.reset();
    }

    @AfterEach
    void stopEveryProcess() throws InterruptedException {
        for (RunningJar jar : started) {
            jar.stop();
        }
    }

    private RunningJar launch(String... args) throws IOException {
        RunningJar jar = RunningJar.start(List.of(args));
        started.add(jar);
        return jar;
    }

    private RunningJar launchProxy(String... extraArgs) throws IOException {
        List<String> args = new ArrayList<>(List.of("--proxy", "--addr", "127.0.0.1:0", "--api-key", ProxyWar.REAL_KEY,
                "--upstream", UPSTREAM.baseUrl(), "--issuer-key", ProxyWar.ISSUER_KEY));
        args.addAll(List.of(extraArgs));
        return launch(args.toArray(String[]::new));
    }

    private static AnthropicClient sdk(String base, String token) {
        return AnthropicOkHttpClient.builder().baseUrl(base).apiKey(token).maxRetries(0).timeout(Duration.ofSeconds(30)).build();
    }

    private static MessageCreateParams hello() {
        return MessageCreateParams.builder().model("claude-sonnet-4-5").maxTokens(64L).addUserMessage("Hello").build();
    }

    private static String text(Message message) {
        return message.content().stream().filter(ContentBlock::isText).map(b -> b.asText().text()).collect(Collectors.joining());
    }

    private static void assertForwardedWithTheRealKey(Received received) {
        assertEquals("POST", received.method());
        assertEquals("/v1/messages", received.path());
        assertEquals(ProxyWar.REAL_KEY, received.header("x-api-key"));
        assertNull(received.header("authorization"), "the client's Authorization must not reach the upstream");
    }

    @Test
    void theSdkReachesTheFakeThroughTheJarAndNoSecretIsPrinted() throws Exception {
        RunningJar jar = launchProxy();
        String base = jar.awaitListening();
        assertTrue(base.matches("http://127\\.0\\.0\\.1:\\d+"), base);

        String token = new ProxyHttp(base).issueToken("standalone-it", "10m");
        AnthropicClient client = sdk(base, token);
        assertEquals("Hello from the fake", text(client.messages().create(hello())));
        assertForwardedWithTheRealKey(UPSTREAM.takeRequest());

        StringBuilder streamed = new StringBuilder();
        try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(hello())) {
            stream.stream().filter(RawMessageStreamEvent::isContentBlockDelta)
                    .forEach(event -> streamed.append(event.asContentBlockDelta().delta().asText().text()));
        }
        assertEquals("Hello from the fake", streamed.toString());
        Received streamedRequest = UPSTREAM.takeRequest();
        assertForwardedWithTheRealKey(streamedRequest);
        assertTrue(streamedRequest.bodyText().contains("\"stream\":true"), streamedRequest.bodyText());

        // A refused token gives the proxy a reason to log; that line must not carry the token either.
        String unknownToken = "crd_" + "Q".repeat(43);
        assertThrows(UnauthorizedException.class, () -> sdk(base, unknownToken).messages().create(hello()));
        assertEquals(0, UPSTREAM.pendingRequests());

        // Stopping first, so that the shutdown's output is checked too.
        jar.stop();
        String output = jar.output();
        for (String secret : List.of(ProxyWar.REAL_KEY, ProxyWar.ISSUER_KEY, token, token.substring(4), unknownToken)) {
            assertFalse(output.contains(secret), "the jar printed a secret:\n" + output);
        }
    }

    /**
     * The stream outlasts Tomcat's own wait for async requests at a stop (its {@code unloadDelay}, 2 s
     * unless the launcher sets it from {@code shutdown-grace}), so this fails whenever the grace is not
     * what Tomcat waits for.
     */
    @Test
    void aStopLetsTheStreamInFlightFinish() throws Exception {
        String[] words = words(40);
        UPSTREAM.respondWith((request, exchange) -> FakeAnthropic.pacedStream(exchange, Wire.textEvents(words), Duration.ofMillis(100)));
        RunningJar jar = launchProxy("--shutdown-grace", "20s");
        String base = jar.awaitListening();
        String token = new ProxyHttp(base).issueToken("graceful-stop-it", "5m");

        StringBuilder streamed = new StringBuilder();
        try (StreamResponse<RawMessageStreamEvent> stream = sdk(base, token).messages().createStreaming(hello())) {
            streamTerminatingAtFirstDelta(stream, jar, streamed);
        } catch (RuntimeException e) {
            throw new AssertionError("the stream in flight broke after " + streamed.length() + " characters; the jar said:\n"
                    + jar.output(), e);
        }
        assertEquals(String.join(" ", words), streamed.toString(), "the stream in flight ran to its end");
        jar.awaitExit();
        assertFalse(jar.isAlive());
    }

    /** The other side of the grace: a stop waits for it and no longer; the stream is cut and the jar exits. */
    @Test
    void aStopEndsAStreamThatOutlastsTheGrace() throws Exception {
        String[] words = words(200);
        UPSTREAM.respondWith((request, exchange) -> FakeAnthropic.pacedStream(exchange, Wire.textEvents(words), Duration.ofMillis(100)));
        RunningJar jar = launchProxy("--shutdown-grace", "1s");
        String base = jar.awaitListening();
        String token = new ProxyHttp(base).issueToken("graceless-stop-it", "5m");

        StringBuilder streamed = new StringBuilder();
        assertThrows(RuntimeException.class, () -> {
            try (StreamResponse<RawMessageStreamEvent> stream = sdk(base, token).messages().createStreaming(hello())) {
                streamTerminatingAtFirstDelta(stream, jar, streamed);
            }
        }, "a 20 s stream cannot finish within a 1 s grace, and its end must say so");
        assertTrue(streamed.length() < String.join(" ", words).length(), streamed.toString());
        jar.awaitExit();
        assertFalse(jar.isAlive());
        assertTrue(jar.output().contains("\"outcome\":\"stopped\""), "the audit line says why the stream ended:\n" + jar.output());
    }

    private static String[] words(int count) {
        String[] words = new String[count];
        for (int i = 0; i < count; i++) {
            words[i] = "w" + i;
        }
        return words;
    }

    /** Reads the stream's text into {@code streamed}, sending SIGTERM to the jar at the first delta. */
    private static void streamTerminatingAtFirstDelta(StreamResponse<RawMessageStreamEvent> stream, RunningJar jar,
            StringBuilder streamed) {
        boolean[] stopSent = {false};
        stream.stream().filter(RawMessageStreamEvent::isContentBlockDelta).forEach(event -> {
            streamed.append(event.asContentBlockDelta().delta().asText().text());
            if (!stopSent[0]) {
                // SIGTERM, as an init system stops a service: the launcher's shutdown hook stops Tomcat.
                jar.terminate();
                stopSent[0] = true;
            }
        });
    }

    @Test
    void servesUnderAContextPath() throws Exception {
        RunningJar jar = launchProxy("--context-path", "/creddy");
        String base = jar.awaitListening();
        assertTrue(base.matches("http://127\\.0\\.0\\.1:\\d+/creddy"), base);

        String token = new ProxyHttp(base).issueToken("context-path-it", "5m");
        assertEquals("Hello from the fake", text(sdk(base, token).messages().create(hello())));
        assertForwardedWithTheRealKey(UPSTREAM.takeRequest());

        ProxyHttp root = new ProxyHttp(base.substring(0, base.length() - "/creddy".length()));
        assertEquals(404, root.send(root.request("/v1/messages").header("x-api-key", token)
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build()).statusCode(), "nothing is served outside /creddy");
        assertEquals(0, UPSTREAM.pendingRequests());

        // The jar serves the operator console from the WAR it carries.
        ProxyHttp under = new ProxyHttp(base);
        HttpResponse<String> console = under.send(under.request("/console/").GET().build());
        assertEquals(200, console.statusCode());
        assertTrue(console.body().contains("<script type=\"module\" src=\"app.js\">"), console.body());
    }

    @Test
    @Timeout(60)
    void helpPrintsTheUsageAndExitsZero() throws Exception {
        RunningJar jar = launch("--help");
        assertEquals(0, jar.awaitExit());
        assertTrue(jar.stdout().startsWith("Usage: "), jar.stdout());
        assertTrue(jar.stdout().contains("--api-key"), jar.stdout());
        assertEquals("", jar.stderr());
    }

    /**
     * Each wrong setting of the issue's table: exit 2, and on stderr that setting's message alone,
     * naming the flag as typed; no stack trace, no line of Tomcat's, nothing on stdout.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "--max-ttl 48x|max-ttl (from flag --max-ttl): \"48x\" is not valid: unknown unit \"x\" in duration \"48x\"",
            "--upstream api.anthropic.com|upstream-url (from flag --upstream): \"api.anthropic.com\" is not valid: must be an absolute http:// or https:// URL",
            "--default-limits {\"rmp\":5}|default-limits (from flag --default-limits): \"{\"rmp\":5}\" is not valid: unknown field \"rmp\"",
            "--token-store redis|token-store (from flag --token-store) is redis, but redis-url is not set",
    })
    @Timeout(90)
    void aWrongSettingExitsTwoWithItsMessageAlone(String line, String message) throws Exception {
        List<String> args = new ArrayList<>(List.of("--addr", "127.0.0.1:0"));
        args.addAll(List.of(line.split(" ")));
        RunningJar jar = launch(args.toArray(String[]::new));
        assertEquals(2, jar.awaitExit(), jar.output());
        assertOneLine(jar, "creddy-anthropic: " + message);
    }

    @Test
    @Timeout(90)
    void aWrongSettingFromTheEnvironmentNamesTheVariable() throws Exception {
        RunningJar jar = RunningJar.start(List.of("--addr", "127.0.0.1:0"), java.util.Map.of("CREDDY_MAX_TTL", "48x"));
        started.add(jar);
        assertEquals(2, jar.awaitExit(), jar.output());
        assertOneLine(jar, "creddy-anthropic: max-ttl (from environment variable CREDDY_MAX_TTL): \"48x\" is not valid");
    }

    @Test
    @Timeout(90)
    void aPortInUseExitsOneSayingSo() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            String address = "127.0.0.1:" + taken.getLocalPort();
            RunningJar jar = launchProxy("--addr", address);
            assertEquals(1, jar.awaitExit(), jar.output());
            assertOneLine(jar, "creddy-anthropic: cannot listen on " + address + ": address already in use");
            assertFalse(jar.output().contains(":-1"), jar.output());
        }
    }

    @Test
    void aHealthyStartLogsNoWarning() throws Exception {
        RunningJar jar = launchProxy();
        String base = jar.awaitListening();
        assertEquals(200, new ProxyHttp(base).send(new ProxyHttp(base).request("/health").GET().build()).statusCode());
        jar.stop();
        for (String line : jar.stderr().split("\n")) {
            assertFalse(line.contains(" WARNING ") || line.contains(" SEVERE "), "a healthy start warned:\n" + jar.stderr());
        }
    }

    /**
     * The original tool's README example, exactly: {@code curl -X POST …/v1/tokens -d '{…}'}, which sends
     * the JSON as a form, against a jar with open issuance; then a request shaped like the Python SDK's
     * (its headers, its key order) through a raw HTTP client.
     */
    @Test
    void theOriginalToolsCurlExampleAndAPythonShapedRequestWork() throws Exception {
        RunningJar jar = launch("--addr", "127.0.0.1:0", "--api-key", ProxyWar.REAL_KEY, "--upstream", UPSTREAM.baseUrl(),
                "--open-issuance");
        String base = jar.awaitListening();
        Process curl = new ProcessBuilder("curl", "-s", "-X", "POST", base + "/v1/tokens", "-d",
                "{\"ttl\":\"1h\",\"agent_name\":\"my-agent\"}").redirectErrorStream(true).start();
        String issued = new String(curl.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, curl.waitFor(), issued);
        jakarta.json.JsonObject token = jakarta.json.Json.createReader(new java.io.StringReader(issued)).readObject();
        assertEquals("my-agent", token.getString("agent_name"), issued);
        assertEquals("1h0m0s", token.getString("ttl"), issued);

        java.net.http.HttpClient raw = java.net.http.HttpClient.newHttpClient();
        java.net.http.HttpResponse<String> answer = raw.send(HttpRequest.newBuilder(java.net.URI.create(base + "/v1/messages"))
                .header("x-api-key", token.getString("token"))
                .header("anthropic-version", "2023-06-01")
                .header("content-type", "application/json")
                .header("accept", "application/json")
                .header("user-agent", "Anthropic/Python 1.13.0")
                .header("x-stainless-lang", "python")
                .header("x-stainless-retry-count", "0")
                .POST(HttpRequest.BodyPublishers.ofString("{\"max_tokens\":256,\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"Hello\"}],\"model\":\"claude-sonnet-5-5\"}")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, answer.statusCode(), answer.body());
        assertTrue(answer.body().contains("Hello from the fake"), answer.body());
        Received forwarded = UPSTREAM.takeRequest();
        assertForwardedWithTheRealKey(forwarded);
        assertEquals("python", forwarded.header("x-stainless-lang"), "the client's own headers pass");
    }

    /** stdout is the audit trail alone: every line one JSON object, the token events and requests in order. */
    @Test
    void stdoutIsTheAuditTrailAsJsonLines() throws Exception {
        RunningJar jar = launchProxy();
        String base = jar.awaitListening();
        ProxyHttp http = new ProxyHttp(base);
        String token = http.issueToken("audited-agent", "10m");
        assertEquals("Hello from the fake", text(sdk(base, token).messages().create(hello())));
        UPSTREAM.takeRequest();
        // An exchange's line is written as it ends, which may come just after its client has the last byte:
        // the trail is in the order things ended, so the next request waits for it.
        jar.awaitStdout("\"event\":\"forward\"", Duration.ofSeconds(10));
        assertEquals(401, http.send(http.request("/v1/models").header("x-api-key", "crd_" + "Q".repeat(43)).GET().build())
                .statusCode());
        String id = jakarta.json.Json.createReader(new java.io.StringReader(http.send(http.request("/v1/tokens/self")
                .header("x-api-key", token).GET().build()).body())).readObject().getString("id");
        assertEquals(204, http.send(http.request("/v1/tokens/" + id).header("Authorization", "Bearer " + ProxyWar.ISSUER_KEY)
                .DELETE().build()).statusCode());
        jar.stop();

        List<jakarta.json.JsonObject> lines = new ArrayList<>();
        for (String line : jar.stdout().split("\n")) {
            lines.add(jakarta.json.Json.createReader(new java.io.StringReader(line)).readObject());
        }
        assertEquals(List.of("token_issued", "forward", "rejected", "token_revoked"),
                lines.stream().map(line -> line.getString("event")).toList(), jar.stdout());
        assertEquals("completed", lines.get(1).getString("outcome"));
        assertEquals("audited-agent", lines.get(3).getString("agent"), "the revocation names the agent");
        assertFalse(jar.stderr().contains("\"event\":"), "no audit line on stderr:\n" + jar.stderr());
        assertFalse(jar.output().contains(token), "never the token");
    }

    @Test
    void auditLogWritesTheTrailToARotatedFileInstead() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory(java.nio.file.Path.of("target"), "audit-log-");
        java.nio.file.Path file = dir.resolve("audit.jsonl");
        RunningJar jar = launchProxy("--audit-log", file.toString());
        String base = jar.awaitListening();
        new ProxyHttp(base).issueToken("file-audited", "5m");
        jar.stop();
        assertEquals("", jar.stdout(), "the trail went to the file");
        List<String> lines = java.nio.file.Files.readAllLines(dir.resolve("audit.jsonl.0"));
        assertEquals(1, lines.size(), lines.toString());
        jakarta.json.JsonObject line = jakarta.json.Json.createReader(new java.io.StringReader(lines.get(0))).readObject();
        assertEquals("token_issued", line.getString("event"));
        assertEquals("file-audited", line.getString("agent"));
    }

    @Test
    @Timeout(60)
    void anAuditLogThatCannotBeWrittenExitsTwo() throws Exception {
        RunningJar jar = launch("--addr", "127.0.0.1:0", "--audit-log", "/nonexistent-dir/audit.jsonl");
        assertEquals(2, jar.awaitExit(), jar.output());
        assertOneLine(jar, "creddy-anthropic: --audit-log: cannot write /nonexistent-dir/audit.jsonl");
    }

    private static void assertOneLine(RunningJar jar, String startsWith) {
        List<String> lines = jar.stderr().lines().toList();
        assertEquals(1, lines.size(), "one line, not Tomcat's account:\n" + jar.output());
        assertTrue(lines.get(0).startsWith(startsWith), jar.output());
        assertEquals("", jar.stdout(), "nothing starts, so nothing is announced");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "--bogus|unknown flag --bogus",
            "--addr nope|--addr \"nope\" needs a port",
            "--addr :70000|the port must be a number from 0 to 65535",
            "--proxy=yes|flag --proxy takes no value",
            "--proxy stray|unexpected argument at position 2",
    })
    @Timeout(60)
    void wrongCommandLinesExitTwoNamingTheProblem(String line, String message) throws Exception {
        RunningJar jar = launch(line.split(" "));
        assertEquals(2, jar.awaitExit());
        assertTrue(jar.stderr().contains(message), jar.stderr());
        assertTrue(jar.stderr().contains("--help"), "points to the usage: " + jar.stderr());
        assertEquals("", jar.stdout(), "nothing starts, so nothing is announced");
    }
}
