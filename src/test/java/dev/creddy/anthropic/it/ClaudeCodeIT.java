package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.it.support.ChildProcess;
import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.FakeAnthropic.Received;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyWar;
import dev.creddy.anthropic.it.support.SuiteRecorder;
import dev.creddy.anthropic.it.support.Wire;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URL;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipFile;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Claude Code through the proxy: its token helper ({@code bin/creddy-token}, as shipped in the
 * standalone jar, run by {@code sh} for the {@code apiKeyHelper} setting) and the requests Claude
 * Code sends, with the helper's token in both headers as Claude Code puts it.
 */
@ExtendWith(ArquillianExtension.class)
@Timeout(60)
class ClaudeCodeIT {

    private static final FakeAnthropic UPSTREAM = FakeAnthropic.shared();
    private static final Duration HELPER_DEADLINE = Duration.ofSeconds(30);
    /** Betas a Claude Code session sends, as in recorded traffic. */
    private static final String BETAS = "claude-code-20250219,interleaved-thinking-2025-05-14,"
            + "fine-grained-tool-streaming-2025-05-14,context-1m-2025-08-07,context-management-2025-06-27,"
            + "prompt-caching-scope-2026-01-05,oauth-2025-04-20";

    @Deployment(testable = false)
    static WebArchive proxy() {
        return ProxyWar.withSettings("claude-code.war", ProxyWar.standardSettings());
    }

    @ArquillianResource
    URL base;

    @TempDir
    static Path scratch;
    private static Path helper;

    private ProxyHttp http;

    /** The helper as the distribution ships it: the standalone jar's {@code bin/creddy-token}. */
    @BeforeAll
    static void extractTheHelper() throws IOException {
        Path jar = Path.of(System.getProperty("creddy.standalone.jar", "target/creddy-anthropic-standalone.jar"));
        helper = scratch.resolve("creddy-token");
        try (ZipFile zip = new ZipFile(jar.toFile()); InputStream in = zip.getInputStream(zip.getEntry("bin/creddy-token"))) {
            Files.copy(in, helper);
        }
    }

    @BeforeEach
    void connect() {
        UPSTREAM.reset();
        http = new ProxyHttp(base);
    }

    private ChildProcess.Result runHelper(Map<String, String> environment) throws Exception {
        return runHelper(environment, null);
    }

    private ChildProcess.Result runHelper(Map<String, String> environment, String path) throws Exception {
        Map<String, String> env = new HashMap<>(environment);
        if (path != null) {
            env.put("PATH", path);
        }
        ChildProcess.Result result = ChildProcess.run(List.of("sh", helper.toString()), scratch, env, HELPER_DEADLINE);
        // stdout is the token by design (recorded as one); the rest must hold no secret.
        SuiteRecorder.response("creddy-token exit " + result.exitCode() + ": " + result.stderr());
        return result;
    }

    private Map<String, String> helperEnvironment(String... more) {
        Map<String, String> env = new HashMap<>(Map.of("CREDDY_URL", http.base(), "CREDDY_ISSUER_KEY", ProxyWar.ISSUER_KEY));
        for (int i = 0; i < more.length; i += 2) {
            env.put(more[i], more[i + 1]);
        }
        return env;
    }

    private static String token(ChildProcess.Result result) {
        assertEquals(0, result.exitCode(), result.toString());
        assertEquals("", result.stderr(), result.toString());
        assertTrue(result.stdout().matches("crd_[A-Za-z0-9_-]{43}\n"), "the token alone, on one line: " + result);
        String token = result.stdout().strip();
        SuiteRecorder.token(token);
        return token;
    }

    @Test
    void theHelperPrintsAFreshTokenWithTheAgentNameAndTtl() throws Exception {
        Instant before = Instant.now();
        String token = token(runHelper(helperEnvironment("CREDDY_TTL", "15m", "CREDDY_AGENT_NAME", "claude-code \"laptop\" \\ 7")));
        HttpResponse<String> self = http.send(http.request("/v1/tokens/self").header("x-api-key", token).GET().build());
        assertEquals(200, self.statusCode(), self.body());
        JsonObject described = Json.createReader(new StringReader(self.body())).readObject();
        assertEquals("claude-code \"laptop\" \\ 7", described.getString("agent_name"));
        Instant expires = Instant.parse(described.getString("expires_at"));
        assertTrue(!expires.isBefore(before.plus(Duration.ofMinutes(15)).minusSeconds(2))
                && !expires.isAfter(Instant.now().plus(Duration.ofMinutes(15)).plusSeconds(2)), "expires in 15m: " + expires);

        String second = token(runHelper(helperEnvironment()));
        assertFalse(second.equals(token), "each run issues a fresh token");
    }

    /**
     * What Claude Code sends with a helper's token: the same token as bearer and as API key, a
     * streaming {@code POST /v1/messages?beta=true} of about 50 KB with a dozen tools, a long beta
     * list and its own headers; then model discovery.
     */
    @Test
    void claudeCodesRequestsPassUnchangedWithTheHelpersToken() throws Exception {
        String token = token(runHelper(helperEnvironment("CREDDY_TTL", "5m")));
        byte[] body = claudeCodeRequest().getBytes(StandardCharsets.UTF_8);
        assertTrue(body.length > 45_000, "about 50 KB: " + body.length);
        HttpResponse<String> response = http.send(http.request("/v1/messages?beta=true")
                .header("Authorization", "Bearer " + token).header("X-Api-Key", token)
                .header("anthropic-version", "2023-06-01").header("anthropic-beta", BETAS)
                .header("anthropic-dangerous-direct-browser-access", "true")
                .header("User-Agent", "claude-cli/2.1.330 (external, cli)").header("x-app", "cli")
                .header("X-Claude-Code-Session-Id", "5b0c2f5e-8a59-4f0f-9d3e-2c8f1b7a6e41")
                .header("x-stainless-retry-count", "0").header("accept", "application/json")
                .header("accept-encoding", "gzip, deflate, br, zstd").header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
        assertEquals(200, response.statusCode(), response.body());
        assertTrue(response.headers().firstValue("content-type").orElseThrow().startsWith("text/event-stream"));
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        for (Wire.Event event : Wire.standardEvents("Hello from the fake")) {
            expected.write(event.bytes());
        }
        assertEquals(expected.toString(StandardCharsets.UTF_8), response.body());

        Received received = UPSTREAM.takeRequest();
        assertEquals("/v1/messages", received.path());
        assertEquals("beta=true", received.query());
        assertArrayEquals(body, received.body());
        assertEquals(BETAS, received.header("anthropic-beta"));
        assertEquals("claude-cli/2.1.330 (external, cli)", received.header("user-agent"));
        assertEquals("cli", received.header("x-app"));
        assertEquals("5b0c2f5e-8a59-4f0f-9d3e-2c8f1b7a6e41", received.header("x-claude-code-session-id"));
        // Narrowed to what the usage meter can decompress (README, Limits and usage); br and zstd never come back.
        assertEquals("gzip, deflate", received.header("accept-encoding"));
        assertEquals(ProxyWar.REAL_KEY, received.header("x-api-key"));
        assertNull(received.header("authorization"));

        HttpResponse<String> models = http.send(http.request("/v1/models?limit=1000").header("Authorization", "Bearer " + token)
                .header("X-Api-Key", token).header("anthropic-version", "2023-06-01").GET().build());
        assertEquals(200, models.statusCode(), models.body());
        assertEquals("limit=1000", UPSTREAM.takeRequest().query());
    }

    /** The key goes to curl through a pipe: a curl that records its arguments never sees it. */
    @Test
    void theIssuerKeyNeverAppearsInCurlsArguments() throws Exception {
        Path bin = Files.createDirectories(scratch.resolve("recording-bin"));
        Path arguments = scratch.resolve("curl-arguments");
        String realCurl = ChildProcess.run(List.of("sh", "-c", "command -v curl"), scratch, Map.of(), HELPER_DEADLINE)
                .stdout().strip();
        assertFalse(realCurl.isEmpty(), "curl is installed");
        Path recordingCurl = bin.resolve("curl");
        Files.writeString(recordingCurl, "#!/bin/sh\nprintf '%s\\n' \"$@\" >> '" + arguments + "'\nexec '" + realCurl + "' \"$@\"\n");
        Files.setPosixFilePermissions(recordingCurl, PosixFilePermissions.fromString("rwxr-xr-x"));

        token(runHelper(helperEnvironment(), bin + ":" + System.getenv("PATH")));
        String recorded = Files.readString(arguments);
        assertTrue(recorded.contains(http.base() + "/v1/tokens"), "the recording curl ran: " + recorded);
        assertFalse(recorded.contains(ProxyWar.ISSUER_KEY), "the issuer key was in curl's arguments: " + recorded);
    }

    /** Failures: nothing on stdout (Claude Code would take it for a key), a clear message, a non-zero exit. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "no proxy URL|CREDDY_URL||2|CREDDY_URL is not set",
            "no issuer key|CREDDY_ISSUER_KEY||2|CREDDY_ISSUER_KEY is not set",
            "not an http URL|CREDDY_URL|ftp://127.0.0.1/|2|must start with http:// or https://",
            "a wrong issuer key|CREDDY_ISSUER_KEY|not-the-issuer-key|1|the proxy refused to issue a token (HTTP 401): managing tokens requires the issuer key",
            "a ttl that is no duration|CREDDY_TTL|forever|1|(HTTP 400): ttl: invalid duration 'forever'",
            "a ttl over the maximum|CREDDY_TTL|48h|1|(HTTP 400)",
            "a proxy that is not there|CREDDY_URL|{closed}|1|could not reach the proxy at http://127.0.0.1:",
    })
    void failuresExitNonZeroWithAClearMessage(String name, String variable, String value, int exitCode, String message)
            throws Exception {
        Map<String, String> env = helperEnvironment();
        if (value == null) {
            env.remove(variable);
        } else {
            env.put(variable, value.replace("{closed}", "http://127.0.0.1:" + closedPort()));
        }
        ChildProcess.Result result = runHelper(env);
        assertEquals(exitCode, result.exitCode(), result.toString());
        assertEquals("", result.stdout(), "nothing Claude Code could take for a key: " + result);
        assertTrue(result.stderr().startsWith("creddy-token: ") && result.stderr().contains(message), result.toString());
        assertFalse(result.stderr().contains(ProxyWar.ISSUER_KEY), "the issuer key was printed: " + result);
    }

    private static int closedPort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A streaming request shaped like Claude Code's: system prompt, a dozen tools with schemas, one user turn. */
    private static String claudeCodeRequest() {
        StringBuilder tools = new StringBuilder();
        String[] names = {"Task", "Bash", "Glob", "Grep", "LS", "Read", "Edit", "MultiEdit", "Write", "WebFetch", "TodoWrite",
                "WebSearch"};
        for (int i = 0; i < names.length; i++) {
            if (i > 0) {
                tools.append(',');
            }
            tools.append("{\"name\":\"").append(names[i]).append("\",\"description\":\"")
                    .append(("Use the " + names[i] + " tool when the task needs it; read the usage notes. ").repeat(60))
                    .append("\",\"input_schema\":{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\","
                            + "\"description\":\"The absolute path\"},\"limit\":{\"type\":\"number\"}},\"required\":[\"path\"],"
                            + "\"additionalProperties\":false,\"$schema\":\"http://json-schema.org/draft-07/schema#\"}}");
        }
        return "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":32000,\"stream\":true,"
                + "\"system\":[{\"type\":\"text\",\"text\":\"You are Claude Code, Anthropic's official CLI for Claude.\","
                + "\"cache_control\":{\"type\":\"ephemeral\"}}],"
                + "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"List the files here.\"}]}],"
                + "\"tools\":[" + tools + "],\"metadata\":{\"user_id\":\"user_0123_account__session_5b0c2f5e\"},"
                + "\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":31999}}";
    }
}
