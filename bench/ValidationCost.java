import dev.creddy.anthropic.config.RedisSettings;
import dev.creddy.anthropic.token.IssuedToken;
import dev.creddy.anthropic.token.MemoryTokenStore;
import dev.creddy.anthropic.token.RedisTokenStore;
import dev.creddy.anthropic.token.TokenRegistry;
import dev.creddy.anthropic.token.TokenSecrets;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * What one token validation costs: the memory store, the Redis store answering from its local
 * cache (hit), and the Redis store asking Redis (miss: redis-cache-ttl 0, and a well-formed token
 * Redis does not know). Starts its own redis-server on a free loopback port and ends it by PID.
 * A plain timed loop with warm-up; run it with bench/validation-cost.sh. Not a test.
 */
public final class ValidationCost {

    private static final Duration WARM_UP = Duration.ofSeconds(3);
    private static final Duration MEASURE = Duration.ofSeconds(5);

    public static void main(String[] args) throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        Path dir = Files.createTempDirectory("creddy-bench-redis-");
        Process redis = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
        try {
            awaitListening(port);
            System.out.printf("java %s, %d cores, redis-server on 127.0.0.1:%d (loopback)%n",
                    System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(), port);
            System.out.printf("%-44s %10s %10s %10s %12s%n", "case", "mean ns", "p50 ns", "p99 ns", "ops/s");

            MemoryTokenStore memory = new MemoryTokenStore(new TokenSecrets(), Clock.systemUTC());
            memory.start();
            measure("memory, known token", memory, memory.issue("bench", Duration.ofHours(1)).secret());
            memory.close();

            RedisTokenStore cached = redisStore(port, Duration.ofSeconds(1));
            measure("redis, cache hit (redis-cache-ttl 1s)", cached, cached.issue("bench", Duration.ofHours(1)).secret());
            cached.close();

            RedisTokenStore uncached = redisStore(port, Duration.ZERO);
            IssuedToken known = uncached.issue("bench", Duration.ofHours(1));
            measure("redis, cache miss (redis-cache-ttl 0)", uncached, known.secret());
            measure("redis, unknown token (always a round trip)", uncached, "crd_" + "Q".repeat(43));
            throughput("redis, cache miss, 8 threads share 1 conn", uncached, known.secret(), 8);
            uncached.close();
        } finally {
            redis.destroy();
            if (!redis.waitFor(10, TimeUnit.SECONDS)) {
                redis.destroyForcibly();
            }
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static RedisTokenStore redisStore(int port, Duration cacheTtl) {
        RedisTokenStore store = new RedisTokenStore(new RedisSettings(URI.create("redis://127.0.0.1:" + port + "/0"),
                Optional.empty(), Duration.ofSeconds(2), cacheTtl), new TokenSecrets(), Clock.systemUTC());
        store.start();
        return store;
    }

    private static void measure(String name, TokenRegistry registry, String secret) {
        long end = System.nanoTime() + WARM_UP.toNanos();
        while (System.nanoTime() < end) {
            registry.validate(secret);
        }
        long[] samples = new long[4_000_000];
        int n = 0;
        long start = System.nanoTime();
        end = start + MEASURE.toNanos();
        long now = start;
        while (now < end && n < samples.length) {
            registry.validate(secret);
            long after = System.nanoTime();
            samples[n++] = after - now;
            now = after;
        }
        long total = now - start;
        long[] sorted = Arrays.copyOf(samples, n);
        Arrays.sort(sorted);
        System.out.printf("%-44s %10d %10d %10d %12.0f%n", name, total / n, sorted[n / 2], sorted[(int) (n * 0.99)],
                n / (total / 1e9));
    }

    private static void throughput(String name, TokenRegistry registry, String secret, int threads) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            LongAdder ops = new LongAdder();
            long warmEnd = System.nanoTime() + WARM_UP.toNanos();
            long end = warmEnd + MEASURE.toNanos();
            List<Future<?>> runs = new java.util.ArrayList<>();
            for (int i = 0; i < threads; i++) {
                runs.add(pool.submit(() -> {
                    long now;
                    while ((now = System.nanoTime()) < end) {
                        registry.validate(secret);
                        if (now > warmEnd) {
                            ops.increment();
                        }
                    }
                }));
            }
            for (Future<?> run : runs) {
                run.get();
            }
            System.out.printf("%-44s %10s %10s %10s %12.0f%n", name, "-", "-", "-", ops.sum() / (MEASURE.toNanos() / 1e9));
        } finally {
            pool.shutdownNow();
        }
    }

    private static void awaitListening(int port) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (true) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("redis-server did not start", e);
                }
                Thread.sleep(20);
            }
        }
    }
}
