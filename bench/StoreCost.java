import dev.creddy.anthropic.config.RedisSettings;
import dev.creddy.anthropic.token.IssuedToken;
import dev.creddy.anthropic.token.MemoryTokenStore;
import dev.creddy.anthropic.token.RedisTokenStore;
import dev.creddy.anthropic.token.TokenGrant;
import dev.creddy.anthropic.token.TokenLimits;
import dev.creddy.anthropic.token.TokenRecord;
import dev.creddy.anthropic.token.TokenSecrets;
import dev.creddy.anthropic.usage.MemoryUsageLedger;
import dev.creddy.anthropic.usage.RedisUsageLedger;
import dev.creddy.anthropic.usage.Usage;
import dev.creddy.anthropic.usage.UsageLedger;
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
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the token store costs a request: one token validation (the memory store, the Redis store
 * answering from its local cache, and the Redis store asking Redis: redis-cache-ttl 0, and a
 * well-formed token Redis does not know), and for tokens with limits one usage admission and one
 * usage record (memory and Redis ledgers; a Redis record is timed as its caller sees it, which does
 * not wait for Redis). Starts its own redis-server on a free loopback port and ends it by PID.
 * A plain timed loop with warm-up; run it with bench/store-cost.sh. Not a test.
 */
public final class StoreCost {

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
            String memorySecret = memory.issue("bench", Duration.ofHours(1)).secret();
            measure("memory, known token", () -> memory.validate(memorySecret));
            TokenRecord limited = memory.issue(LIMITED).record();
            try (MemoryUsageLedger ledger = new MemoryUsageLedger(Duration.ofDays(7), Clock.systemUTC())) {
                measureLedger("memory ledger", ledger, limited);
            }
            memory.close();

            RedisTokenStore cached = redisStore(port, Duration.ofSeconds(1));
            String cachedSecret = cached.issue("bench", Duration.ofHours(1)).secret();
            measure("redis, cache hit (redis-cache-ttl 1s)", () -> cached.validate(cachedSecret));
            cached.close();

            RedisTokenStore uncached = redisStore(port, Duration.ZERO);
            IssuedToken known = uncached.issue("bench", Duration.ofHours(1));
            measure("redis, cache miss (redis-cache-ttl 0)", () -> uncached.validate(known.secret()));
            measure("redis, unknown token (always a round trip)", () -> uncached.validate("crd_" + "Q".repeat(43)));
            throughput("redis, cache miss, 8 threads share 1 conn", () -> uncached.validate(known.secret()), 8);
            RedisUsageLedger ledger = new RedisUsageLedger(uncached.link(), Duration.ofDays(7));
            measureLedger("redis ledger", ledger, uncached.issue(LIMITED).record());
            ledger.close();
            System.out.printf("redis ledger: %d record(s) dropped (Lettuce's queue of 10,000 full)%n", ledger.droppedRecords());
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

    /** Limits that never refuse in a benchmark, so that every admission runs the whole check and counts. */
    private static final TokenGrant LIMITED = new TokenGrant("bench-limited", Duration.ofHours(1), new TokenLimits(
            OptionalLong.of(Long.MAX_VALUE), OptionalLong.of(Long.MAX_VALUE), OptionalLong.of(Long.MAX_VALUE), List.of()));

    private static void measureLedger(String name, UsageLedger ledger, TokenRecord token) throws Exception {
        Usage used = new Usage(1, 1200, 350, 0, 4000, 0);
        measure(name + ", admit", () -> ledger.admit(token, Instant.now()));
        measure(name + ", record (caller's time)", () -> ledger.record(token, used, Instant.now()));
        measure(name + ", usageOf", () -> ledger.usageOf(token, Instant.now()));
        throughput(name + ", admit, 8 threads", () -> ledger.admit(token, Instant.now()), 8);
    }

    private static RedisTokenStore redisStore(int port, Duration cacheTtl) {
        RedisTokenStore store = new RedisTokenStore(new RedisSettings(URI.create("redis://127.0.0.1:" + port + "/0"),
                Optional.empty(), Duration.ofSeconds(2), cacheTtl), new TokenSecrets(), Clock.systemUTC());
        store.start();
        return store;
    }

    private static void measure(String name, Runnable call) {
        long end = System.nanoTime() + WARM_UP.toNanos();
        while (System.nanoTime() < end) {
            call.run();
        }
        long[] samples = new long[4_000_000];
        int n = 0;
        long start = System.nanoTime();
        end = start + MEASURE.toNanos();
        long now = start;
        while (now < end && n < samples.length) {
            call.run();
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

    private static void throughput(String name, Runnable call, int threads) throws Exception {
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
                        call.run();
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
