package dev.creddy.anthropic.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The processes a benchmark run starts: each pinned with {@code taskset} when asked, its PID written
 * to {@code pids} (so {@code run.sh} can stop it even if this JVM dies), its output copied to a log
 * file, and all of them stopped by PID when the run ends, also on failure.
 *
 * <p>Thread-safe.
 */
final class Processes implements AutoCloseable {

    /** One started process. */
    static final class Started {
        final String name;
        final Process process;
        final BlockingQueue<String> firstLines = new ArrayBlockingQueue<>(1024);

        Started(String name, Process process) {
            this.name = name;
            this.process = process;
        }

        long pid() {
            return process.pid();
        }

        /** Waits for an output line matching {@code pattern}; returns its first group. */
        String await(Pattern pattern, long timeoutSeconds) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
            while (System.nanoTime() < deadline) {
                String line = firstLines.poll(100, TimeUnit.MILLISECONDS);
                if (line != null) {
                    Matcher matcher = pattern.matcher(line);
                    if (matcher.find()) {
                        return matcher.groupCount() > 0 ? matcher.group(1) : line;
                    }
                }
                if (!process.isAlive()) {
                    throw new IllegalStateException(name + " exited with " + process.exitValue() + " before it was ready");
                }
            }
            throw new IllegalStateException(name + " did not print " + pattern + " within " + timeoutSeconds + " s");
        }

        void stop() throws InterruptedException {
            if (process.isAlive()) {
                process.destroy();
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
    }

    private final Path logDir;
    private final Path pidFile;
    private final List<Started> started = new ArrayList<>();

    Processes(Path logDir) throws IOException {
        this.logDir = logDir;
        this.pidFile = logDir.resolve("pids");
        Files.writeString(pidFile, "");
    }

    /**
     * Starts {@code command}, pinned to {@code cpus} (e.g. "1"; null for no pinning). Its stdout and
     * stderr go to {@code <name>.log}; the first lines are also kept for {@link Started#await}.
     */
    synchronized Started start(String name, String cpus, List<String> command) throws IOException {
        List<String> full = new ArrayList<>();
        if (cpus != null) {
            full.add("taskset");
            full.add("-c");
            full.add(cpus);
        }
        full.addAll(command);
        Path log = logDir.resolve(name + ".log");
        Process process = new ProcessBuilder(full).redirectErrorStream(true).start();
        Started handle = new Started(name, process);
        started.add(handle);
        Files.writeString(pidFile, process.pid() + " " + name + "\n", StandardOpenOption.APPEND);
        Thread copier = new Thread(() -> copyOutput(handle, log), name + "-output");
        copier.setDaemon(true);
        copier.start();
        return handle;
    }

    private static void copyOutput(Started handle, Path log) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(handle.process.getInputStream(), StandardCharsets.UTF_8));
             var out = Files.newBufferedWriter(log)) {
            String line;
            while ((line = in.readLine()) != null) {
                handle.firstLines.offer(line);
                out.write(line);
                out.newLine();
                out.flush();
            }
        } catch (IOException e) {
            // The process ended; its log is as complete as it got.
        }
    }

    /** Stops the processes started under {@code name}, by PID. */
    synchronized void stop(String name) throws InterruptedException {
        for (Started handle : new ArrayList<>(started)) {
            if (handle.name.equals(name)) {
                handle.stop();
                started.remove(handle);
            }
        }
    }

    /** Stops every process this run started, newest first, by PID. */
    @Override
    public synchronized void close() throws InterruptedException {
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).stop();
        }
        started.clear();
    }

    /** Runs a command to its end and returns its output (stdout and stderr). */
    static String run(List<String> command, long timeoutSeconds) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] output;
        try {
            output = process.getInputStream().readAllBytes();
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                throw new IOException(String.join(" ", command) + " did not finish in " + timeoutSeconds + " s");
            }
        } finally {
            process.destroyForcibly();
        }
        return new String(output, StandardCharsets.UTF_8);
    }
}
