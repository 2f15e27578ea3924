package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.it.support.ChildProcess;
import dev.creddy.anthropic.it.support.FakeAnthropic;
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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Claude Code itself ({@code @anthropic-ai/claude-code}, pinned in {@code src/test/claude-code}, installed
 * into {@code target/claude-code} with {@code npm ci}) signs in to the proxy as its Cloud gateway, offline:
 * the gateway URL comes from the developer's settings file ({@code forceLoginMethod: gateway},
 * {@code forceLoginGatewayUrl}), and the sign-in runs through {@code claude auth login --gateway-json},
 * Claude Code's own line-by-line interface to the same sign-in {@code /login} shows, so no terminal is
 * needed. The test approves the code on the approval page with the container's login (a Tomcat realm),
 * then runs headless prompts ({@code claude -p}) that reach the fake upstream with the real key, one of
 * them after the access token expired (Claude Code refreshes it by itself), and one after the session's
 * token was revoked through the API, which must make Claude Code stop rather than retry.
 */
@ExtendWith(ArquillianExtension.class)
@Timeout(300)
class ClaudeCodeGatewayIT {

    private static final FakeAnthropic UPSTREAM = FakeAnthropic.shared();
    private static final Path SOURCES = Path.of("src/test/claude-code");
    private static final Path INSTALL = Path.of(System.getProperty("creddy.it.claude-code.dir", "target/claude-code"));
    /** The Claude Code version the lock file pins. */
    static final String VERSION = "2.1.332";
    private static final Duration ACCESS_TTL = Duration.ofSeconds(20);
    private static final Pattern CSRF = Pattern.compile("name=\"csrf\" value=\"([A-Za-z0-9_-]+)\"");

    @Deployment(testable = false)
    static WebArchive proxy() {
        Path users;
        try {
            Path directory = Files.createDirectories(Path.of(System.getProperty("creddy.it.tomcat.base", "target/tomcat"))
                    .toAbsolutePath().getParent());
            users = Files.createTempFile(directory, "claude-users-", ".xml");
            users.toFile().deleteOnExit();
            Files.writeString(users, "<tomcat-users>\n"
                    + "  <user username=\"dana\" password=\"dana-pass\" roles=\"creddy-user\"/>\n</tomcat-users>\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> settings = new HashMap<>(ProxyWar.standardSettings());
        settings.put("device-sign-in", "on");
        settings.put("device-access-ttl", ACCESS_TTL.toSeconds() + "s");
        return ProxyWar.withSettings("claude-gateway.war", settings,
                "<Realm className=\"org.apache.catalina.realm.MemoryRealm\" pathname=\"" + users + "\"/>");
    }

    @ArquillianResource
    URL base;

    @TempDir
    Path home;

    private static Path claude;

    /** The installed binary, once {@link #installClaudeCode} ran. */
    static Path binary() {
        return claude;
    }

    @BeforeAll
    static void installClaudeCode() throws Exception {
        Files.createDirectories(INSTALL);
        Path lock = INSTALL.resolve("package-lock.json");
        Path binary = INSTALL.resolve("node_modules/.bin/claude");
        boolean upToDate = Files.exists(lock) && Files.mismatch(lock, SOURCES.resolve("package-lock.json")) == -1
                && Files.exists(binary);
        for (String file : List.of("package.json", "package-lock.json")) {
            Files.copy(SOURCES.resolve(file), INSTALL.resolve(file), StandardCopyOption.REPLACE_EXISTING);
        }
        if (!upToDate) {
            ChildProcess.Result install = ChildProcess.run(List.of("npm", "ci", "--no-audit", "--no-fund", "--prefer-offline"),
                    INSTALL, Map.of(), Duration.ofMinutes(8));
            assertEquals(0, install.exitCode(), "npm ci failed: " + install);
        }
        claude = binary.toAbsolutePath();
        ChildProcess.Result version = ChildProcess.run(List.of(claude.toString(), "--version"), INSTALL, Map.of(),
                Duration.ofSeconds(60));
        assertEquals(VERSION + " (Claude Code)", version.stdout().strip(), version.toString());
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

    /** What the person does in the browser Claude Code opened: signs in with the container login, approves. */
    private static void approve(ProxyHttp http, String userCode) throws Exception {
        HttpClient browser = HttpClient.newBuilder().cookieHandler(new CookieManager()).build();
        String dana = "Basic " + Base64.getEncoder().encodeToString("dana:dana-pass".getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> page = browser.send(HttpRequest.newBuilder(URI.create(http.base() + "/device?user_code="
                + userCode)).header("Authorization", dana).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, page.statusCode(), page.body());
        Matcher csrf = CSRF.matcher(page.body());
        assertTrue(csrf.find(), page.body());
        HttpResponse<String> approved = browser.send(HttpRequest.newBuilder(URI.create(http.base() + "/device"))
                .header("Authorization", dana).header("Content-Type", "application/x-www-form-urlencoded")
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
    void claudeCodeSignsInPromptsRefreshesAndStopsOnceRevoked() throws Exception {
        ProxyHttp http = new ProxyHttp(base);
        UPSTREAM.reset();
        Files.writeString(home.resolve(".claude.json"), "{\"hasCompletedOnboarding\":true,\"theme\":\"dark\"}");
        Files.createDirectories(home.resolve(".claude"));
        Files.writeString(home.resolve(".claude/settings.json"), "{\"forceLoginMethod\":\"gateway\",\"forceLoginGatewayUrl\":\""
                + http.base() + "\"}");
        LogCapture logs = LogCapture.start();
        try {
            signIn(http);
            assertEquals(1, issuedAtTheTokenEndpoint(logs).size(), "one access token from the device-code grant");
            assertEquals("dana", issuedAtTheTokenEndpoint(logs).get(0).getString("agent"));

            ChildProcess.Result first = prompt("Say hello", Duration.ofSeconds(90));
            assertEquals(0, first.exitCode(), first.toString());
            assertTrue(first.stdout().contains("Hello from the fake"), first.toString());
            FakeAnthropic.Received upstream = UPSTREAM.takeRequest();
            assertEquals(ProxyWar.REAL_KEY, upstream.header("x-api-key"));
            assertEquals(null, upstream.header("authorization"));

            // Past the access token's lifetime: Claude Code refreshes it by itself and carries on.
            Thread.sleep(ACCESS_TTL.plusSeconds(2).toMillis());
            int before = issuedAtTheTokenEndpoint(logs).size();
            ChildProcess.Result second = prompt("Say hello again", Duration.ofSeconds(90));
            assertEquals(0, second.exitCode(), second.toString());
            assertTrue(second.stdout().contains("Hello from the fake"), second.toString());
            List<JsonObject> issued = issuedAtTheTokenEndpoint(logs);
            assertTrue(issued.size() > before, "a refresh issued a new access token: " + issued);
            String current = issued.get(issued.size() - 1).getString("token_id");
            assertNotEquals(issued.get(0).getString("token_id"), current);

            // The operator revokes the session's token: Claude Code's next refresh is refused, and it stops.
            HttpResponse<String> revoked = http.send(http.request("/v1/tokens/" + current)
                    .header("Authorization", "Bearer " + ProxyWar.ISSUER_KEY).DELETE().build());
            assertTrue(revoked.statusCode() / 100 == 2, revoked.body());
            long refusedBefore = logs.auditLines().stream().filter(line -> line.getString("event").equals("rejected")).count();
            Instant started = Instant.now();
            ChildProcess.Result third = prompt("Say hello once more", Duration.ofSeconds(120));
            assertNotEquals(-1, third.exitCode(), "Claude Code stopped by itself: " + third);
            assertNotEquals(0, third.exitCode(), third.toString());
            assertFalse(third.stdout().contains("Hello from the fake"), third.toString());
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
