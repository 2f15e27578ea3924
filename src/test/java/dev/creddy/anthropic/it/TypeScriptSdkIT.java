package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.it.support.ChildProcess;
import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.FakeAnthropic.Received;
import dev.creddy.anthropic.it.support.FakeBatchApi;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyObjects;
import dev.creddy.anthropic.it.support.ProxyWar;
import dev.creddy.anthropic.it.support.SuiteRecorder;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import java.io.IOException;
import java.io.StringReader;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The official TypeScript SDK ({@code @anthropic-ai/sdk}, pinned in {@code src/test/node}) as a
 * client of the proxy: each test runs one scenario of {@code sdk-client.mjs} with Node against the
 * deployed WAR and the fake Anthropic API. The SDK is installed into {@code target/ts-sdk} with
 * {@code npm ci} from the committed lock file, once per build (npm's cache makes it quick).
 */
@ExtendWith(ArquillianExtension.class)
@Timeout(180)
class TypeScriptSdkIT {

    private static final FakeAnthropic UPSTREAM = FakeAnthropic.shared();
    private static final Path SOURCES = Path.of("src/test/node");
    private static final Path INSTALL = Path.of(System.getProperty("creddy.it.node.dir", "target/ts-sdk"));
    private static final Duration SCENARIO_DEADLINE = Duration.ofSeconds(60);
    /** The SDK version the lock file pins; the report names it. */
    private static final String SDK_VERSION = "1.14.0";

    @Deployment(testable = false)
    static WebArchive proxy() {
        return ProxyWar.withSettings("typescript.war", ProxyWar.standardSettings());
    }

    @ArquillianResource
    URL base;

    private ProxyHttp http;
    private String token;

    @BeforeAll
    static void installTheSdk() throws Exception {
        ChildProcess.Result node = ChildProcess.run(List.of("node", "--version"), null, Map.of(), SCENARIO_DEADLINE);
        assertEquals(0, node.exitCode(), "Node.js is needed (.ci/run installs it): " + node);
        int major = Integer.parseInt(node.stdout().strip().replaceFirst("^v(\\d+)\\..*", "$1"));
        assertTrue(major >= 18, "the SDK needs Node 18 or newer, found " + node.stdout());

        Files.createDirectories(INSTALL);
        Path lock = INSTALL.resolve("package-lock.json");
        boolean upToDate = Files.exists(lock) && Files.mismatch(lock, SOURCES.resolve("package-lock.json")) == -1
                && Files.exists(INSTALL.resolve("node_modules/@anthropic-ai/sdk/package.json"));
        for (String file : List.of("package.json", "package-lock.json", "sdk-client.mjs")) {
            Files.copy(SOURCES.resolve(file), INSTALL.resolve(file), StandardCopyOption.REPLACE_EXISTING);
        }
        if (!upToDate) {
            ChildProcess.Result install = ChildProcess.run(List.of("npm", "ci", "--no-audit", "--no-fund", "--prefer-offline"),
                    INSTALL, Map.of(), Duration.ofMinutes(5));
            assertEquals(0, install.exitCode(), "npm ci failed: " + install);
        }
        String installed = Files.readString(INSTALL.resolve("node_modules/@anthropic-ai/sdk/package.json"));
        assertTrue(installed.contains("\"version\": \"" + SDK_VERSION + "\""), "the pinned SDK is installed");
    }

    @BeforeEach
    void connect() throws Exception {
        UPSTREAM.reset();
        http = new ProxyHttp(base);
        token = http.issueTokenForEveryEndpoint("typescript-it", "10m");
    }

    /** Runs one scenario with the token and returns its JSON line. */
    private JsonObject scenario(String name, String tokenToUse, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("node", "sdk-client.mjs", name));
        command.addAll(List.of(args));
        ChildProcess.Result result = ChildProcess.run(command, INSTALL,
                Map.of("CREDDY_BASE_URL", http.base(), "CREDDY_TOKEN", tokenToUse), SCENARIO_DEADLINE);
        SuiteRecorder.response("typescript " + name + ": " + result);
        assertEquals(0, result.exitCode(), name + ": " + result);
        return Json.createReader(new StringReader(result.stdout().strip())).readObject();
    }

    private void assertForwardedWithTheRealKey(Received received) {
        assertEquals("POST", received.method());
        assertEquals("/v1/messages", received.path());
        assertEquals(ProxyWar.REAL_KEY, received.header("x-api-key"));
        assertNull(received.header("authorization"), "the SDK's Authorization must not reach the upstream");
        assertEquals("Anthropic/JS " + SDK_VERSION, received.header("user-agent"));
        assertEquals("js", received.header("x-stainless-lang"));
    }

    @Test
    void theTokenAsApiKey() throws Exception {
        JsonObject result = scenario("message-api-key", token);
        assertEquals("Hello from the fake", result.getString("text"));
        assertEquals("msg_fake_01", result.getString("id"));
        assertTrue(result.getString("requestId").startsWith("req_fake_"), result.toString());
        assertForwardedWithTheRealKey(UPSTREAM.takeRequest());
    }

    @Test
    void theTokenAsAuthToken() throws Exception {
        JsonObject result = scenario("message-auth-token", token);
        assertEquals("Hello from the fake", result.getString("text"));
        assertTrue(result.getString("requestId").startsWith("req_fake_"), result.toString());
        assertForwardedWithTheRealKey(UPSTREAM.takeRequest());
    }

    @Test
    void streaming() throws Exception {
        JsonObject result = scenario("stream", token);
        assertEquals("Hello from the fake", result.getString("text"));
        List<String> events = result.getJsonArray("events").getValuesAs(JsonString.class).stream().map(JsonString::getString)
                .toList();
        assertEquals("message_start", events.get(0));
        assertEquals("message_stop", events.get(events.size() - 1));
        assertTrue(events.contains("content_block_delta"), events.toString());
        Received received = UPSTREAM.takeRequest();
        assertForwardedWithTheRealKey(received);
        assertTrue(received.bodyText().contains("\"stream\":true"), received.bodyText());
    }

    /** With two retries allowed, the SDK asks once: the proxy's 401 says a retry cannot help. */
    @Test
    void aRefusedTokenIsNotRetried() throws Exception {
        JsonObject result = scenario("refused", "crd_" + "T".repeat(43));
        assertEquals("AuthenticationError", result.getString("errorClass"), result.toString());
        assertEquals(401, result.getInt("status"));
        assertEquals("authentication_error", result.getString("type"));
        assertEquals("false", result.getString("shouldRetry"));
        assertEquals(1, result.getInt("calls"), "requests the SDK made: " + result);
        assertEquals(0, UPSTREAM.pendingRequests());
    }

    /** The SDK fetches a batch's results_url as it is: only the rewrite lets it reach the results. */
    @Test
    void batchResultsComeThroughTheProxy() throws Exception {
        // The proxy reaches only batches its token's agent created through it (issue 15, S8).
        ProxyObjects.createBatches(UPSTREAM, http, token, "msgbatch_01ts");
        UPSTREAM.respondWith(FakeBatchApi::respond);
        JsonObject result = scenario("batch-results", token, "msgbatch_01ts");
        assertEquals(http.base() + "/v1/messages/batches/msgbatch_01ts/results", result.getString("resultsUrl"));
        assertEquals("ended", result.getString("status"));
        assertEquals(FakeBatchApi.RESULT_LINES, result.getInt("count"));
        assertEquals("req-0", result.getString("first"));
        // The script retrieves the batch, and results() retrieves it once more before the download.
        assertEquals("/v1/messages/batches/msgbatch_01ts", UPSTREAM.takeRequest().path());
        assertEquals("/v1/messages/batches/msgbatch_01ts", UPSTREAM.takeRequest().path());
        Received download = UPSTREAM.takeRequest();
        assertEquals("/v1/messages/batches/msgbatch_01ts/results", download.path());
        assertEquals(ProxyWar.REAL_KEY, download.header("x-api-key"));
    }
}
