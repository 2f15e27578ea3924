package dev.creddy.anthropic.it.servers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A real server (or one of its command-line tools) run as its own process, with its console in a
 * file (a full pipe would block it). {@link #stop()} ends it by PID: first the processes it started
 * (a start script's JVM), deepest first, then itself; politely, then forcibly. A JVM shutdown hook
 * does the same if the test JVM ends first. Confined to the test thread, but for that hook.
 */
final class ServerProcess implements AutoCloseable {

    private static final Duration POLITE = Duration.ofSeconds(30);
    private static final Duration FORCED = Duration.ofSeconds(10);

    private final String name;
    private final Process process;
    private final Path console;
    private final Thread stopAtExit;
    private volatile boolean stopped;

    private ServerProcess(String name, Process process, Path console) {
        this.name = name;
        this.process = process;
        this.console = console;
        this.stopAtExit = new Thread(this::stopQuietly, "stop-" + name);
        Runtime.getRuntime().addShutdownHook(stopAtExit);
    }

    /**
     * Starts {@code command} in {@code workDir}. The environment is this JVM's without any
     * {@code ANTHROPIC_*} or {@code CREDDY_*} variable, plus {@code environment}: a server gets
     * exactly the settings its test provisions.
     */
    static ServerProcess start(String name, List<String> command, Map<String, String> environment, Path workDir,
            Path console) throws IOException {
        Files.createDirectories(console.getParent());
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile())
                .redirectErrorStream(true).redirectOutput(console.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE);
        builder.environment().keySet().removeIf(variable -> variable.startsWith("ANTHROPIC_") || variable.startsWith("CREDDY_"));
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().putAll(environment);
        Process process = builder.start();
        process.getOutputStream().close();
        return new ServerProcess(name, process, console);
    }

    String name() {
        return name;
    }

    ProcessHandle handle() {
        return process.toHandle();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Everything the process printed so far. */
    String console() {
        try {
            return Files.readString(console, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(cannot read " + console + ": " + e.getMessage() + ")";
        }
    }

    /** The exit code of a process that ends by itself (a CLI run), waiting up to {@code deadline}. */
    int awaitExit(Duration deadline) throws InterruptedException {
        if (!process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
            stop();
            throw new AssertionError(name + " did not finish within " + deadline + "; output:\n" + console());
        }
        return process.exitValue();
    }

    /** Ends the process and everything it started, by PID. Idempotent. */
    void stop() throws InterruptedException {
        if (stopped) {
            return;
        }
        List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
        Collections.reverse(tree);
        tree.add(process.toHandle());
        for (ProcessHandle handle : tree) {
            terminate(handle);
        }
        stopped = true;
        try {
            Runtime.getRuntime().removeShutdownHook(stopAtExit);
        } catch (IllegalStateException e) {
            // The JVM is already shutting down: the hook is running this very stop.
        }
    }

    private void stopQuietly() {
        try {
            stop();
        } catch (InterruptedException | RuntimeException | AssertionError e) {
            // Last resort at JVM exit: nothing left to report to.
        }
    }

    private static void terminate(ProcessHandle handle) throws InterruptedException {
        if (!handle.isAlive()) {
            return;
        }
        handle.destroy();
        if (!exited(handle, POLITE)) {
            handle.destroyForcibly();
            if (!exited(handle, FORCED)) {
                throw new AssertionError("process " + handle.pid() + " survived SIGKILL");
            }
        }
    }

    private static boolean exited(ProcessHandle handle, Duration deadline) throws InterruptedException {
        try {
            handle.onExit().get(deadline.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
