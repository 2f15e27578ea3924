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

    @Test
    void aStopLetsTheStreamInFlightFinish() throws Exception {
        String[] words = new String[20];
        for (int i = 0; i < words.length; i++) {
            words[i] = "w" + i;
        }
        List<Wire.Event> events = Wire.textEvents(words);
        UPSTREAM.respondWith((request, exchange) -> FakeAnthropic.pacedStream(exchange, events, Duration.ofMillis(100)));
        RunningJar jar = launchProxy("--shutdown-grace", "20s");
        String base = jar.awaitListening();
        String token = new ProxyHttp(base).issueToken("graceful-stop-it", "5m");

        StringBuilder streamed = new StringBuilder();
        boolean[] stopSent = {false};
        try (StreamResponse<RawMessageStreamEvent> stream = sdk(base, token).messages().createStreaming(hello())) {
            stream.stream().filter(RawMessageStreamEvent::isContentBlockDelta).forEach(event -> {
                streamed.append(event.asContentBlockDelta().delta().asText().text());
                if (!stopSent[0]) {
                    // SIGTERM, as an init system stops a service: the launcher's shutdown hook stops Tomcat.
                    jar.terminate();
                    stopSent[0] = true;
                }
            });
        }
        assertEquals(String.join(" ", words), streamed.toString(), "the stream in flight ran to its end");
        jar.awaitExit();
        assertFalse(jar.isAlive());
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
