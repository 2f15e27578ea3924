package dev.creddy.anthropic.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Real {@code redis-sentinel} processes on free loopback ports, watching one master as
 * {@value #MASTER}, with a quorum of two and short timings (down after {@link #DOWN_AFTER}), so a
 * test can fail the master over and measure how soon the proxy follows. Every process is ended by
 * its PID in {@link #close()}, and by a shutdown hook should the test JVM end without it.
 *
 * <p>Not thread-safe: one test thread drives it.
 */
public final class RedisSentinels implements AutoCloseable {

    public static final String MASTER = "mymaster";
    public static final Duration DOWN_AFTER = Duration.ofMillis(1000);

    private final List<Process> processes = new ArrayList<>();
    private final List<Integer> ports = new ArrayList<>();
    private final Path dir;
    private final Thread shutdownHook = new Thread(this::stopQuietly, "redis-sentinel-stop");

    private RedisSentinels(Path dir) {
        this.dir = dir;
    }

    /** Starts {@code count} Sentinels watching the master on {@code masterPort}, and waits until each answers. */
    public static RedisSentinels start(int count, int masterPort) {
        try {
            RedisSentinels sentinels = new RedisSentinels(Files.createTempDirectory("creddy-sentinel-"));
            Runtime.getRuntime().addShutdownHook(sentinels.shutdownHook);
            for (int i = 0; i < count; i++) {
                sentinels.launch(i, masterPort);
            }
            return sentinels;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start redis-sentinel", e);
        }
    }

    public List<Integer> ports() {
        return List.copyOf(ports);
    }

    /** The proxy's URL for these Sentinels, in Lettuce's form. */
    public String url() {
        return "redis-sentinel://" + ports.stream().map(port -> "127.0.0.1:" + port).collect(Collectors.joining(","))
                + "/0#" + MASTER;
    }

    /** The port of the master as the first Sentinel sees it now. */
    @SuppressWarnings("unchecked")
    public int masterPort() throws IOException {
        List<String> address = (List<String>) RedisServer.call(ports.get(0), "SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER);
        return Integer.parseInt(address.get(1));
    }

    /** Asks the first Sentinel to fail the master over at once (it needs a known replica). */
    public void failover() throws IOException {
        RedisServer.call(ports.get(0), "SENTINEL", "FAILOVER", MASTER);
    }

    /** Waits until every Sentinel knows {@code replicas} replicas and the other Sentinels, so a failover can start. */
    public void awaitReady(int replicas, Duration deadline) throws IOException, InterruptedException {
        long end = System.nanoTime() + deadline.toNanos();
        while (true) {
            boolean ready = true;
            for (int port : ports) {
                try {
                    ready &= ((List<?>) RedisServer.call(port, "SENTINEL", "REPLICAS", MASTER)).size() >= replicas
                            && ((List<?>) RedisServer.call(port, "SENTINEL", "SENTINELS", MASTER)).size() >= ports.size() - 1;
                } catch (IOException e) {
                    ready = false;
                }
            }
            if (ready) {
                return;
            }
            if (System.nanoTime() - end > 0) {
                throw new IllegalStateException("the Sentinels did not find each other and the replica within " + deadline);
            }
            Thread.sleep(100);
        }
    }

    private void launch(int index, int masterPort) throws IOException {
        int port = RedisServer.freePort();
        Path config = dir.resolve("sentinel-" + index + ".conf");
        Files.writeString(config, String.join("\n",
                "port " + port,
                "bind 127.0.0.1",
                "daemonize no",
                "dir " + dir,
                "logfile " + dir.resolve("sentinel-" + index + ".log"),
                "sentinel monitor " + MASTER + " 127.0.0.1 " + masterPort + " 2",
                "sentinel down-after-milliseconds " + MASTER + " " + DOWN_AFTER.toMillis(),
                "sentinel failover-timeout " + MASTER + " 3000",
                "sentinel parallel-syncs " + MASTER + " 1",
                ""));
        Process process = new ProcessBuilder(RedisServer.binary("redis-sentinel"), config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("sentinel-" + index + ".out").toFile()).start();
        processes.add(process);
        ports.add(port);
        long end = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (true) {
            try {
                if ("PONG".equals(RedisServer.call(port, "PING"))) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            if (!process.isAlive() || System.nanoTime() - end > 0) {
                throw new IllegalStateException("redis-sentinel did not start on port " + port + ": " + log(index));
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
    }

    /** What Sentinel {@code index} logged, for failure messages. */
    public String log(int index) {
        try {
            return Files.readString(dir.resolve("sentinel-" + index + ".log"));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        try {
            for (Process process : processes) {
                process.destroy();
            }
            for (Process process : processes) {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
            } catch (IOException | UncheckedIOException e) {
                // a temporary directory left behind is no test failure
            }
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                // the JVM is already shutting down
            }
        }
    }

    private void stopQuietly() {
        processes.forEach(Process::destroyForcibly);
    }
}
