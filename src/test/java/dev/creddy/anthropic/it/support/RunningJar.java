package dev.creddy.anthropic.it.support;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One run of the standalone jar in its own JVM, its output read line by line as it arrives (a full
 * pipe would block the launcher). The launcher announces where it listens on stderr (stdout carries
 * the audit lines alone). Only the flags configure it: the environment's {@code ANTHROPIC_*}
 * and {@code CREDDY_*} variables are removed. Confined to the test thread, but for the two readers'
 * buffers.
 */
public final class RunningJar {

    private static final Duration START_DEADLINE = Duration.ofSeconds(60);
    private static final Duration EXIT_DEADLINE = Duration.ofSeconds(30);
    private static final Pattern LISTENING = Pattern.compile("creddy-anthropic listening on (http://\\S+)");

    private final Process process;
    private final StringBuffer stdout = new StringBuffer();
    private final StringBuffer stderr = new StringBuffer();
    private final CompletableFuture<String> listening = new CompletableFuture<>();
    private final Thread stdoutReader;
    private final Thread stderrReader;

    private RunningJar(Process process) {
        this.process = process;
        this.stdoutReader = read(process.getInputStream(), stdout, "stdout", listening);
        this.stderrReader = read(process.getErrorStream(), stderr, "stderr", listening);
    }

    public static RunningJar start(List<String> args) throws IOException {
        return start(List.of(), args, Map.of());
    }

    /** With these environment variables besides the flags (the test's own {@code ANTHROPIC_*}, {@code CREDDY_*} still removed). */
    public static RunningJar start(List<String> args, Map<String, String> environment) throws IOException {
        return start(List.of(), args, environment);
    }

    /** Starts the jar with options for its JVM (e.g. {@code -Xmx256m}) before {@code -jar}. */
    public static RunningJar start(List<String> jvmOptions, List<String> args) throws IOException {
        return start(jvmOptions, args, Map.of());
    }

    /** Starts the jar with options for its JVM before {@code -jar}, and these environment variables besides the flags. */
    public static RunningJar start(List<String> jvmOptions, List<String> args, Map<String, String> environment)
            throws IOException {
        Path jar = Path.of(System.getProperty("creddy.standalone.jar", "target/creddy-anthropic-standalone.jar"));
        assertTrue(Files.isRegularFile(jar), jar + " is missing: run mvn package first");
        List<String> command = new ArrayList<>(List.of(java()));
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", jar.toString()));
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command);
        // The launcher reads settings from the environment too; only the flags may configure it here.
        builder.environment().keySet().removeIf(name -> name.startsWith("ANTHROPIC_") || name.startsWith("CREDDY_"));
        builder.environment().putAll(environment);
        Process process = builder.start();
        try {
            process.getOutputStream().close();
            return new RunningJar(process);
        } catch (IOException | RuntimeException e) {
            process.destroyForcibly();
            throw e;
        }
    }

    private static String java() {
        return ProcessHandle.current().info().command()
                .orElseGet(() -> Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    private Thread read(InputStream stream, StringBuffer into, String name, CompletableFuture<String> ready) {
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(stream, Charset.defaultCharset()))) {
                for (String line; (line = lines.readLine()) != null; ) {
                    into.append(line).append('\n');
                    Matcher matcher = LISTENING.matcher(line);
                    if (ready != null && matcher.find()) {
                        ready.complete(matcher.group(1));
                    }
                }
            } catch (IOException e) {
                // The stream closes under us when the process is killed: what was read is kept.
            } finally {
                if (ready != null) {
                    ready.completeExceptionally(new IllegalStateException(name + " closed before the launcher was listening"));
                }
            }
        }, "standalone-" + process.pid() + "-" + name);
        reader.setDaemon(true);
        reader.start();
        return reader;
    }

    /** The URL the launcher announced, waiting up to the start deadline. */
    public String awaitListening() throws InterruptedException {
        try {
            return listening.get(START_DEADLINE.toSeconds(), TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("no \"listening\" line within " + START_DEADLINE + "; output so far:\n" + output(), e);
        } catch (ExecutionException e) {
            throw new AssertionError("the launcher did not start; output:\n" + output(), e.getCause());
        }
    }

    /** Sends SIGTERM and returns at once. */
    public void terminate() {
        process.toHandle().destroy();
    }

    /** Sends SIGKILL, as a crash would end it: no shutdown hook runs. Returns once the process is gone. */
    public void kill() throws InterruptedException {
        process.toHandle().destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new AssertionError("process " + process.pid() + " survived SIGKILL");
        }
    }

    /** The process id, for tools that inspect the running JVM (jcmd). */
    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The exit code, waiting up to the exit deadline; afterwards the output is complete. */
    public int awaitExit() throws InterruptedException {
        return awaitExit(EXIT_DEADLINE);
    }

    /** The exit code, waiting up to {@code deadline} (a run that starts the application first takes longer). */
    public int awaitExit(Duration deadline) throws InterruptedException {
        if (!process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the launcher did not exit within " + deadline + "; output:\n" + output());
        }
        joinReaders();
        return process.exitValue();
    }

    /** Ends the process by its PID: politely (the shutdown hook runs), then forcibly after 10 s. Idempotent. */
    public void stop() throws InterruptedException {
        ProcessHandle handle = process.toHandle();
        if (handle.isAlive()) {
            handle.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                handle.destroyForcibly();
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    throw new AssertionError("process " + handle.pid() + " survived destroyForcibly");
                }
            }
        }
        joinReaders();
    }

    private void joinReaders() throws InterruptedException {
        stdoutReader.join(TimeUnit.SECONDS.toMillis(10));
        stderrReader.join(TimeUnit.SECONDS.toMillis(10));
    }

    /** Waits until stdout holds {@code fragment}, failing with the output so far after {@code deadline}. */
    public void awaitStdout(String fragment, Duration deadline) throws InterruptedException {
        long end = System.nanoTime() + deadline.toNanos();
        while (!stdout().contains(fragment)) {
            if (System.nanoTime() > end) {
                throw new AssertionError("no " + fragment + " on stdout within " + deadline + "; output so far:\n" + output());
            }
            Thread.sleep(20);
        }
    }

    public String stdout() {
        return stdout.toString();
    }

    public String stderr() {
        return stderr.toString();
    }

    /** Both streams; complete once the process has ended. */
    public String output() {
        return "--- stdout\n" + stdout + "--- stderr\n" + stderr;
    }
}
