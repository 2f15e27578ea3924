package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import dev.creddy.anthropic.it.support.ChildProcess;
import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.FakeOidcProvider;
import dev.creddy.anthropic.it.support.LogCapture;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyWar;
import dev.creddy.anthropic.it.support.SuiteRecorder;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.CookieManager;
import java.net.URI;
import java.net.URL;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Claude Code itself (the pinned binary {@link ClaudeCodeGatewayIT} installs) signs in to the proxy as its
 * Cloud gateway with the approval page's second sign-in: the organisation's OpenID Connect provider (the
 * in-test provider), authorization code flow with PKCE, the browser's part done by an HTTP client that
 * follows the redirects. Then a headless prompt reaches the fake upstream with the real key under the
 * person's name from the ID token, and revoking all tokens of the person's subject through the API makes
 * Claude Code stop rather than retry.
 */
@ExtendWith(ArquillianExtension.class)
@Timeout(300)
class ClaudeCodeOidcGatewayIT {

    private static final FakeAnthropic UPSTREAM = FakeAnthropic.shared();
    private static final FakeOidcProvider PROVIDER = FakeOidcProvider.start();
    private static final String CLIENT_ID = "creddy-claude-code";
    private static final Pattern CSRF = Pattern.compile("name=\"csrf\" value=\"([A-Za-z0-9_-]+)\"");

    @Deployment(testable = false)
    static WebArchive proxy() {
        Map<String, String> settings = new HashMap<>(ProxyWar.standardSettings());
        settings.put("device-sign-in", "on");
        settings.put("device-oidc-issuer", PROVIDER.issuer());
        settings.put("device-oidc-client-id", CLIENT_ID);
        settings.put("device-oidc-client-secret", PROVIDER.registerClient(CLIENT_ID));
        settings.put("oidc-policy", "{\"group:ml-team\":{\"rpm\":40}}");
        try {
            Path directory = Files.createDirectories(Path.of(System.getProperty("creddy.it.tomcat.base", "target/tomcat"))
                    .toAbsolutePath().getParent());
            Path managed = Files.createTempFile(directory, "claude-managed-", ".json");
            managed.toFile().deleteOnExit();
            Files.writeString(managed, "{\"permissions\":{\"deny\":[\"WebFetch\"]},"
                    + "\"env\":{\"ANTHROPIC_CUSTOM_HEADERS\":\"x-creddy-managed: applied\"}}");
            settings.put("device-managed-settings", managed.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return ProxyWar.withSettings("claude-oidc-gateway.war", settings);
    }

    @AfterAll
    static void stopProvider() {
        PROVIDER.close();
    }

    @ArquillianResource
    URL base;

    @TempDir
    Path home;

    private static Path claude;

    @BeforeAll
    static void installClaudeCode() throws Exception {
        ClaudeCodeGatewayIT.installClaudeCode();
        claude = ClaudeCodeGatewayIT.binary();
    }

    private static JsonObject json(String line) {
        return Json.createReader(new StringReader(line)).readObject();
    }

    /** Claude Code's environment: this test's home only, no network beyond loopback, no updates. */
    private Map<String, String> environment() {
        return Map.of("HOME", home.toString(), "PATH", "/usr/bin:/bin", "TERM", "dumb", "DISABLE_AUTOUPDATER", "1",
                "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1", "DISABLE_TELEMETRY", "1");
    }

    private Process start(List<String> arguments) throws IOException {
        List<String> command = new ArrayList<>(List.of(claude.toString()));
        command.addAll(arguments);
        ProcessBuilder builder = new ProcessBuilder(command).directory(home.toFile()).redirectErrorStream(true);
        builder.environment().clear();
        builder.environment().putAll(environment());
        return builder.start();
    }

    /** Runs {@code claude -p prompt} to its end, then kills it by its PID if it outlives the deadline. */
    private ChildProcess.Result prompt(String prompt, Duration deadline) throws Exception {
        Process process = start(List.of("-p", prompt, "--output-format", "text"));
        try {
            process.getOutputStream().close();
            StringBuilder output = new StringBuilder();
            Thread reader = daemon(() -> {
                try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = lines.readLine()) != null; ) {
                        synchronized (output) {
                            output.append(line).append('\n');
                        }
                    }
                } catch (IOException e) {
                    // the process ended
                }
            });
            boolean ended = process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS);
            reader.join(2000);
            synchronized (output) {
                SuiteRecorder.response("claude -p: " + output);
                return new ChildProcess.Result(ended ? process.exitValue() : -1, output.toString(), "");
            }
        } finally {
            process.destroyForcibly();
        }
    }

    /** The developer's side of the sign-in: Claude Code asks, the test answers as the person would. */
    private void signIn(ProxyHttp http) throws Exception {
        Process process = start(List.of("auth", "login", "--gateway-json"));
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = daemon(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = out.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (IOException e) {
                // the process ended
            }
        });
        List<String> seen = new ArrayList<>();
        try (Writer answers = new java.io.OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8)) {
            Instant deadline = Instant.now().plus(Duration.ofSeconds(90));
            boolean done = false;
            while (!done && Instant.now().isBefore(deadline)) {
                String line = lines.poll(1, TimeUnit.SECONDS);
                if (line == null) {
                    assertTrue(process.isAlive() || !lines.isEmpty(), "claude auth login ended early: " + seen);
                    continue;
                }
                seen.add(line);
                if (!line.startsWith("{")) {
                    continue;
                }
                JsonObject question = json(line);
                switch (question.getString("state", "")) {
                    case "url_input", "trust_prompt", "confirm_account" -> {
                        answers.write(Json.createObjectBuilder().add("state", question.getString("state"))
                                .add("shown", question.getString("shown")).add("accept", true).build() + "\n");
                        answers.flush();
                    }
                    case "polling" -> {
                        assertEquals(http.base() + "/device", question.getString("verificationUri"), line);
                        approve(http, question.getString("userCode"));
                    }
                    case "done" -> done = true;
                    case "error" -> throw new AssertionError("Claude Code's sign-in failed: " + seen);
                    default -> {
                        // connecting, saving: progress only
                    }
                }
            }
            assertTrue(done, "signed in: " + seen);
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), "claude auth login ends after the sign-in");
            assertEquals(0, process.exitValue(), seen.toString());
        } finally {
            process.destroyForcibly();
            reader.join(2000);
        }
    }

    /** What the person does in the browser Claude Code opened: signs in with the provider, approves. */
    private static void approve(ProxyHttp http, String userCode) throws Exception {
        HttpClient browser = HttpClient.newBuilder().cookieHandler(new CookieManager())
                .followRedirects(HttpClient.Redirect.NORMAL).build();
        HttpResponse<String> page = browser.send(HttpRequest.newBuilder(URI.create(http.base() + "/device?user_code="
                + userCode)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, page.statusCode(), page.body());
        assertTrue(page.body().contains("erin@example.com"), "signed in by the provider: " + page.body());
        Matcher csrf = CSRF.matcher(page.body());
        assertTrue(csrf.find(), page.body());
        HttpResponse<String> approved = browser.send(HttpRequest.newBuilder(URI.create(http.base() + "/device"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("csrf=" + csrf.group(1) + "&user_code="
                        + URLEncoder.encode(userCode, StandardCharsets.UTF_8) + "&action=approve")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, approved.statusCode(), approved.body());
    }

    private static List<JsonObject> issuedAtTheTokenEndpoint(LogCapture logs) {
        return logs.auditLines().stream().filter(line -> line.getString("event").equals("token_issued")
                && line.getString("path").equals("/oauth/token")).toList();
    }

    @Test
    void claudeCodeSignsInThroughTheProviderPromptsAndStopsOnceTheSubjectIsRevoked() throws Exception {
        ProxyHttp http = new ProxyHttp(base);
        UPSTREAM.reset();
        PROVIDER.signInAs(Map.of("sub", "00u9erin", "preferred_username", "erin@example.com", "groups", List.of("ml-team")));
        Files.writeString(home.resolve(".claude.json"), "{\"hasCompletedOnboarding\":true,\"theme\":\"dark\"}");
        Files.createDirectories(home.resolve(".claude"));
        Files.writeString(home.resolve(".claude/settings.json"), "{\"forceLoginMethod\":\"gateway\",\"forceLoginGatewayUrl\":\""
                + http.base() + "\"}");
        LogCapture logs = LogCapture.start();
        try {
            signIn(http);
            List<JsonObject> issued = issuedAtTheTokenEndpoint(logs);
            assertEquals(1, issued.size(), "one access token from the device-code grant");
            assertEquals("erin@example.com", issued.get(0).getString("agent"));
            assertEquals("00u9erin", issued.get(0).getJsonObject("identity").getString("subject"));

            ChildProcess.Result first = prompt("Say hello", Duration.ofSeconds(90));
            assertEquals(0, first.exitCode(), first.toString());
            assertTrue(first.stdout().contains("Hello from the fake"), first.toString());
            FakeAnthropic.Received upstream = UPSTREAM.takeRequest();
            assertEquals(ProxyWar.REAL_KEY, upstream.header("x-api-key"));
            List<String> served = logs.messagesOf("dev.creddy.anthropic.web.gateway.ManagedSettingsServlet");
            assertTrue(served.stream().anyMatch(line -> line.endsWith("served to erin@example.com")),
                    "Claude Code fetched its managed settings from the proxy: " + served);
            assertEquals("applied", upstream.header("x-creddy-managed"), "and applied them (their env sets a header)");

            // The operator revokes every token of the person: the next request is refused, so is the refresh.
            HttpResponse<String> revoked = http.send(http.request("/v1/tokens?subject=00u9erin&issuer="
                    + URLEncoder.encode(PROVIDER.issuer(), StandardCharsets.UTF_8))
                    .header("Authorization", "Bearer " + ProxyWar.ISSUER_KEY).DELETE().build());
            assertEquals(200, revoked.statusCode(), revoked.body());
            assertEquals(1, json(revoked.body()).getInt("sign_ins_ended"), revoked.body());
            long refusedBefore = logs.auditLines().stream().filter(line -> line.getString("event").equals("rejected")).count();
            Instant started = Instant.now();
            ChildProcess.Result second = prompt("Say hello once more", Duration.ofSeconds(120));
            assertNotEquals(-1, second.exitCode(), "Claude Code stopped by itself: " + second);
            assertNotEquals(0, second.exitCode(), second.toString());
            assertFalse(second.stdout().contains("Hello from the fake"), second.toString());
            long refused = logs.auditLines().stream().filter(line -> line.getString("event").equals("rejected")).count()
                    - refusedBefore;
            assertTrue(refused <= 5, "it does not loop: " + refused + " refused requests in "
                    + Duration.between(started, Instant.now()));
            assertEquals(issued.size(), issuedAtTheTokenEndpoint(logs).size(), "no token after the revocation");
        } finally {
            logs.close();
        }
    }

    private static Thread daemon(Runnable body) {
        Thread thread = new Thread(body, "claude-code-output");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }
}
