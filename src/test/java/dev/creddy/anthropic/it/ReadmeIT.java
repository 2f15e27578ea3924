package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.FakeAnthropic.Received;
import dev.creddy.anthropic.it.support.ProxyWar;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.File;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The README as a newcomer follows it: its run command, executed by bash in a fresh clone of this
 * repository (so it builds there, with the environment the README sets), then its token request and
 * its curl example, each taken from the README's text. Two substitutions, and only these, keep the
 * test on this machine: the listener's {@code 127.0.0.1:8080} becomes a free port ({@code :0}), and
 * {@code --upstream https://api.anthropic.com} becomes the fake Anthropic API; the placeholder keys
 * ({@code sk-ant-…}, {@code crd_k7H…}) become a test key and the issued token. If the README's commands
 * change shape, the substitutions fail first and say so.
 *
 * <p>Slow by nature: the clone is built with the README's own {@code ./mvnw -q package -DskipTests}
 * (offline, from the local repository that this build filled; about a minute on a quiet machine).
 */
@Timeout(900)
class ReadmeIT {

    private static final FakeAnthropic UPSTREAM = FakeAnthropic.shared();
    private static final Path README = Path.of("README.md");
    private static final Pattern LISTENING = Pattern.compile("creddy-anthropic listening on (http://127\\.0\\.0\\.1:(\\d+))");
    private static final Duration BUILD_AND_START = Duration.ofMinutes(12);

    private Process proxy;

    @AfterEach
    void stopTheProxy() throws InterruptedException {
        if (proxy != null) {
            // The shell and what it started (the JVM), by PID; the JVM's shutdown hook cleans its directory.
            List<ProcessHandle> tree = new ArrayList<>(proxy.descendants().toList());
            tree.add(proxy.toHandle());
            tree.forEach(ProcessHandle::destroy);
            for (ProcessHandle handle : tree) {
                handle.onExit().orTimeout(20, TimeUnit.SECONDS).exceptionally(e -> {
                    handle.destroyForcibly();
                    return handle;
                }).join();
            }
        }
    }

    @Test
    void theReadmesCommandsWorkAsPrintedInAFreshClone() throws Exception {
        String readme = Files.readString(README, StandardCharsets.UTF_8);
        String run = replaceExactly(block(readme, "## Run it", 0),
                "--addr 127.0.0.1:8080", "--addr 127.0.0.1:0",
                "--upstream https://api.anthropic.com", "--upstream " + UPSTREAM.baseUrl(),
                "export ANTHROPIC_API_KEY=sk-ant-…", "export ANTHROPIC_API_KEY=" + ProxyWar.REAL_KEY);
        assertFalse(run.contains("--api-key") || run.contains("--issuer-key"), "no secret on the command line:\n" + run);
        assertTrue(run.contains("export CREDDY_ISSUER_KEY=$(openssl rand -hex 32)"), run);
        // The README's test command is what CI runs, literally.
        String test = block(readme, "## Run it", 1).strip();
        assertTrue(test.startsWith("./bin/install-test-deps && ./mvnw") && test.endsWith("verify"), test);
        assertTrue(Files.readString(Path.of(".ci/run"), StandardCharsets.UTF_8).contains(test), ".ci/run runs " + test);

        Path clone = freshClone();
        Path stdout = clone.resolve("../readme-run.out");
        Path stderr = clone.resolve("../readme-run.err");
        // The run command ends by starting the proxy; the issuer key it made is written down for the next steps.
        String script = "set -e\n" + run + "\n";
        script = script.replace("java -jar", "printf %s \"$CREDDY_ISSUER_KEY\" > ../readme-issuer-key; exec java -jar");
        ProcessBuilder builder = new ProcessBuilder("bash", "-c", script).directory(clone.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("ANTHROPIC_") || name.startsWith("CREDDY_"));
        // Offline and quiet: the clone builds from the local repository this build has filled.
        builder.environment().put("MAVEN_ARGS", "--offline --batch-mode --no-transfer-progress");
        proxy = builder.start();
        String base = awaitListening(stderr);
        String issuerKey = Files.readString(clone.resolve("../readme-issuer-key"), StandardCharsets.UTF_8);
        assertEquals(64, issuerKey.length(), "openssl rand -hex 32");

        UPSTREAM.reset();
        String issue = block(readme, "## Issue a token", 0).replace("http://127.0.0.1:8080", base);
        JsonObject issued = json(bash(issue, Map.of("CREDDY_ISSUER_KEY", issuerKey)));
        assertEquals("my-agent", issued.getString("agent_name"));
        assertEquals("1h0m0s", issued.getString("ttl"));
        String token = issued.getString("token");

        String use = replaceExactly(block(readme, "## Use it", 0),
                "export ANTHROPIC_BASE_URL=http://127.0.0.1:8080", "export ANTHROPIC_BASE_URL=" + base,
                "export ANTHROPIC_API_KEY=crd_k7H…", "export ANTHROPIC_API_KEY=" + token);
        JsonObject answer = json(bash(use, Map.of()));
        assertEquals("message", answer.getString("type"), answer.toString());
        Received forwarded = UPSTREAM.takeRequest();
        assertEquals("/v1/messages", forwarded.path());
        assertEquals(ProxyWar.REAL_KEY, forwarded.header("x-api-key"), "the proxy swapped in the real key");
        assertNull(forwarded.header("authorization"));
        assertTrue(forwarded.bodyText().contains("\"model\":\"claude-sonnet-5-5\""), forwarded.bodyText());
        assertTrue(proxy.isAlive());
    }

    /** The {@code index}th {@code ```sh} block after {@code heading}, without its fences. */
    private static String block(String readme, String heading, int index) {
        int at = readme.indexOf("\n" + heading + "\n");
        assertTrue(at >= 0, "the README has no " + heading);
        int next = readme.indexOf("\n## ", at + heading.length() + 2);
        String section = readme.substring(at, next < 0 ? readme.length() : next);
        Matcher blocks = Pattern.compile("```sh\n(.*?)```", Pattern.DOTALL).matcher(section);
        for (int i = 0; i <= index; i++) {
            assertTrue(blocks.find(), heading + " has no sh block number " + (index + 1));
        }
        return blocks.group(1);
    }

    /** {@code text} with each pair replaced, each of which must be there. */
    private static String replaceExactly(String text, String... pairs) {
        for (int i = 0; i < pairs.length; i += 2) {
            assertTrue(text.contains(pairs[i]), "the README's command no longer contains " + pairs[i] + ":\n" + text);
            text = text.replace(pairs[i], pairs[i + 1]);
        }
        return text;
    }

    /** A fresh clone of this repository's committed state, under target/. */
    private static Path freshClone() throws IOException, InterruptedException {
        Path clone = Path.of("target/readme-clone/creddy-anthropic").toAbsolutePath();
        if (Files.exists(clone.getParent())) {
            try (Stream<Path> files = Files.walk(clone.getParent())) {
                files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
        Files.createDirectories(clone.getParent());
        String output = run(List.of("git", "clone", "--quiet", "--no-hardlinks", Path.of("").toAbsolutePath().toString(),
                clone.toString()), Duration.ofMinutes(2));
        assertTrue(Files.isExecutable(clone.resolve("mvnw")), "cloned: " + output);
        return clone;
    }

    private static String awaitListening(Path stderr) throws Exception {
        long deadline = System.nanoTime() + BUILD_AND_START.toNanos();
        while (System.nanoTime() < deadline) {
            String err = Files.readString(stderr, StandardCharsets.UTF_8);
            Matcher matcher = LISTENING.matcher(err);
            if (matcher.find()) {
                return matcher.group(1);
            }
            Thread.sleep(500);
        }
        throw new AssertionError("the README's run command did not start the proxy within " + BUILD_AND_START + ":\n"
                + Files.readString(stderr, StandardCharsets.UTF_8));
    }

    /** Runs a README snippet with bash and returns its stdout; it must succeed. */
    private static String bash(String snippet, Map<String, String> environment) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder("bash", "-c", "set -e\n" + snippet).redirectErrorStream(false);
        builder.environment().keySet().removeIf(name -> name.startsWith("ANTHROPIC_") || name.startsWith("CREDDY_"));
        builder.environment().putAll(environment);
        Process process = builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        try {
            byte[] out = process.getInputStream().readAllBytes();
            byte[] err = process.getErrorStream().readAllBytes();
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), snippet);
            String text = new String(out, StandardCharsets.UTF_8);
            assertEquals(0, process.exitValue(), snippet + "\n" + text + new String(err, StandardCharsets.UTF_8));
            return text;
        } finally {
            process.destroyForcibly();
        }
    }

    private static String run(List<String> command, Duration deadline) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        try {
            byte[] out = process.getInputStream().readAllBytes();
            assertTrue(process.waitFor(deadline.toSeconds(), TimeUnit.SECONDS), command.toString());
            assertEquals(0, process.exitValue(), command + ": " + new String(out, StandardCharsets.UTF_8));
            return new String(out, StandardCharsets.UTF_8);
        } finally {
            process.destroyForcibly();
        }
    }

    private static JsonObject json(String text) {
        return Json.createReader(new StringReader(text)).readObject();
    }
}
