package dev.creddy.anthropic.it.support;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a program to its end (a shell script, a Node script) with exactly the environment a test
 * gives it, its output in files so a full pipe can never block it, and stops it by its PID if it
 * outlives its deadline or the test fails. Confined to the calling thread.
 */
public final class ChildProcess {

    /** How a run ended. */
    public record Result(int exitCode, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
        }
    }

    private ChildProcess() {
    }

    /**
     * Runs {@code command} in {@code directory} with the inherited environment minus every
     * {@code ANTHROPIC_*} and {@code CREDDY_*} variable, plus {@code environment}.
     */
    public static Result run(List<String> command, Path directory, Map<String, String> environment, Duration deadline)
            throws IOException, InterruptedException {
        Path stdout = Files.createTempFile("child-", ".out");
        Path stderr = Files.createTempFile("child-", ".err");
        ProcessBuilder builder = new ProcessBuilder(command).directory(directory == null ? null : directory.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("ANTHROPIC_") || name.startsWith("CREDDY_"));
        builder.environment().putAll(environment);
        Process process = builder.start();
        try {
            if (!process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError(command + " did not finish within " + deadline + "; output so far:\n"
                        + Files.readString(stdout, StandardCharsets.UTF_8) + Files.readString(stderr, StandardCharsets.UTF_8));
            }
            return new Result(process.exitValue(), Files.readString(stdout, StandardCharsets.UTF_8),
                    Files.readString(stderr, StandardCharsets.UTF_8));
        } finally {
            stop(process);
            Files.deleteIfExists(stdout);
            Files.deleteIfExists(stderr);
        }
    }

    /** Ends the process and its children by PID: politely, then forcibly. */
    private static void stop(Process process) throws InterruptedException {
        ProcessHandle handle = process.toHandle();
        List<ProcessHandle> children = handle.descendants().toList();
        for (ProcessHandle child : children) {
            child.destroyForcibly();
        }
        if (handle.isAlive()) {
            handle.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                handle.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        }
    }
}
