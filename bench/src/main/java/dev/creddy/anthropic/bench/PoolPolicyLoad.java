package dev.creddy.anthropic.bench;

import java.net.URI;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hc.client5.http.async.methods.SimpleHttpRequest;
import org.apache.hc.client5.http.async.methods.SimpleHttpResponse;
import org.apache.hc.client5.http.async.methods.SimpleRequestBuilder;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.config.TlsConfig;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManager;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http2.HttpVersionPolicy;
import org.apache.hc.core5.pool.PoolConcurrencyPolicy;
import org.apache.hc.core5.pool.PoolReusePolicy;
import org.apache.hc.core5.reactor.IOReactorConfig;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

/**
 * The upstream pool's policy measured on its own: HttpClient 5's async client built as
 * {@code forward/UpstreamClient} builds it (same pool size, timeouts, reactor threads, HTTP/1.1),
 * with one pool concurrency policy ({@code STRICT} or {@code LAX}), one reuse policy ({@code LIFO}
 * or {@code FIFO}) and a maximum per route, driving a closed loop of small {@code POST /v1/messages}
 * to an upstream. The forwarding around the pool is the same whatever the policy, so what differs
 * here is what differs in the proxy.
 *
 * <p>Usage: {@code PoolPolicyLoad --upstream URL --key K --variants STRICT/LIFO/1024,LAX/FIFO/1024
 * --in-flight 32 --warmup 5 --rounds 3 --seconds 5}. Prints one {@code ROUND} line per round and variant,
 * with its requests, seconds, CPU time of this JVM and the connections the pool holds at its end.
 */
public final class PoolPolicyLoad {

    private PoolPolicyLoad() {
    }

    public static void main(String[] argv) throws Exception {
        java.util.Map<String, String> args = new java.util.HashMap<>();
        for (int i = 0; i + 1 < argv.length; i += 2) {
            args.put(argv[i].replaceFirst("^--", ""), argv[i + 1]);
        }
        URI upstream = URI.create(args.get("upstream"));
        String key = args.get("key");
        int inFlight = Integer.parseInt(args.getOrDefault("in-flight", "32"));
        long warmup = Long.parseLong(args.getOrDefault("warmup", "5"));
        int rounds = Integer.parseInt(args.getOrDefault("rounds", "3"));
        long seconds = Long.parseLong(args.getOrDefault("seconds", "5"));
        long pid = ProcessHandle.current().pid();
        // Every variant's client lives in this one JVM and they take turns: the JIT's work is shared, and a
        // change in the machine's load over time falls on every variant alike. Only one client has
        // requests in flight at a time, so the JVM's CPU time in a turn is that client's.
        List<Variant> variants = new java.util.ArrayList<>();
        for (String spec : args.getOrDefault("variants", "STRICT/LIFO/1024").split(",")) {
            String[] parts = spec.split("/");
            variants.add(client(PoolConcurrencyPolicy.valueOf(parts[0]), PoolReusePolicy.valueOf(parts[1]),
                    Integer.parseInt(parts[2])));
        }
        for (Variant variant : variants) {
            variant.turn(upstream, key, inFlight, warmup);
        }
        for (int round = 1; round <= rounds; round++) {
            for (Variant variant : variants) {
                long cpu0 = JvmProbe.cpuMicros(pid);
                long start = System.nanoTime();
                long[] counts = variant.turn(upstream, key, inFlight, seconds);
                long elapsed = System.nanoTime() - start;
                long cpu = JvmProbe.cpuMicros(pid) - cpu0;
                System.out.printf(java.util.Locale.ROOT,
                        "ROUND %d variant=%s requests=%d failed=%d seconds=%.3f cpu_us=%d connections=%d%n",
                        round, variant.spec, counts[0], counts[1], elapsed / 1e9, cpu, variant.connections());
                System.out.flush();
            }
        }
        System.exit(0);
    }

    /** One policy's client, with its pool. */
    private record Variant(String spec, CloseableHttpAsyncClient client, PoolingAsyncClientConnectionManager pool) {
        int connections() {
            var stats = pool.getTotalStats();
            return stats.getLeased() + stats.getAvailable();
        }

        /** Keeps {@code inFlight} requests outstanding for {@code seconds}, then lets them end; returns {ok, failed}. */
        long[] turn(URI upstream, String key, int inFlight, long seconds) throws InterruptedException {
            AtomicLong completed = new AtomicLong();
            AtomicLong failed = new AtomicLong();
            java.util.concurrent.Phaser outstanding = new java.util.concurrent.Phaser(1);
            Loop loop = new Loop(client(), upstream, key, completed, failed, outstanding);
            for (int i = 0; i < inFlight; i++) {
                loop.next();
            }
            Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
            loop.stop();
            long[] counts = {completed.get(), failed.get()};
            outstanding.arriveAndAwaitAdvance();
            return counts;
        }
    }

    private static Variant client(PoolConcurrencyPolicy concurrency, PoolReusePolicy reuse, int perRoute) {
        PoolingAsyncClientConnectionManager pool = PoolingAsyncClientConnectionManagerBuilder.create()
                .setPoolConcurrencyPolicy(concurrency)
                .setConnPoolPolicy(reuse)
                .setMaxConnTotal(Math.max(1024, perRoute))
                .setMaxConnPerRoute(perRoute)
                .setDefaultConnectionConfig(ConnectionConfig.custom()
                        .setConnectTimeout(Timeout.ofSeconds(10))
                        .setSocketTimeout(Timeout.ofMinutes(10))
                        .setValidateAfterInactivity(TimeValue.ofSeconds(2))
                        .build())
                .setDefaultTlsConfig(TlsConfig.custom().setVersionPolicy(HttpVersionPolicy.FORCE_HTTP_1).build())
                .build();
        CloseableHttpAsyncClient client = HttpAsyncClients.custom()
                .setConnectionManager(pool)
                .setIOReactorConfig(IOReactorConfig.custom()
                        .setIoThreadCount(Math.max(1, Runtime.getRuntime().availableProcessors()))
                        .setTcpNoDelay(true).setSoKeepAlive(true).build())
                .setDefaultRequestConfig(RequestConfig.custom().setResponseTimeout(Timeout.ofMinutes(10))
                        .setConnectionRequestTimeout(Timeout.ofSeconds(10)).setRedirectsEnabled(false).build())
                .disableRedirectHandling().disableAutomaticRetries().disableCookieManagement().disableAuthCaching()
                .disableConnectionState()
                .build();
        client.start();
        return new Variant(concurrency + "/" + reuse + "/" + perRoute, client, pool);
    }

    /** Each completion sends the next request, so {@code in-flight} requests are always outstanding. */
    private static final class Loop implements FutureCallback<SimpleHttpResponse> {
        private final CloseableHttpAsyncClient client;
        private final URI upstream;
        private final String key;
        private final AtomicLong completed;
        private final AtomicLong failed;
        private final java.util.concurrent.Phaser outstanding;
        private volatile boolean stopped;

        Loop(CloseableHttpAsyncClient client, URI upstream, String key, AtomicLong completed, AtomicLong failed,
                java.util.concurrent.Phaser outstanding) {
            this.outstanding = outstanding;
            this.client = client;
            this.upstream = upstream;
            this.key = key;
            this.completed = completed;
            this.failed = failed;
        }

        void next() {
            if (stopped) {
                return;
            }
            outstanding.register();
            SimpleHttpRequest request = SimpleRequestBuilder.post(upstream.resolve("/v1/messages"))
                    .addHeader("x-api-key", key).addHeader("anthropic-version", "2023-06-01")
                    .setBody(BenchRun.MESSAGE_BODY, ContentType.APPLICATION_JSON).build();
            client.execute(request, this);
        }

        void stop() {
            stopped = true;
        }

        @Override
        public void completed(SimpleHttpResponse response) {
            if (response.getCode() == 200) {
                completed.incrementAndGet();
            } else {
                failed.incrementAndGet();
            }
            done();
        }

        /** One request ended: send the next while the turn lasts. */
        private void done() {
            next();
            outstanding.arriveAndDeregister();
        }

        @Override
        public void failed(Exception e) {
            failed.incrementAndGet();
            done();
        }

        @Override
        public void cancelled() {
            failed.incrementAndGet();
            done();
        }
    }

    /** The policies compared ({@code concurrency/reuse/max per route}), in the order of the report; the first is today's. */
    static final List<String> VARIANTS = List.of("STRICT/LIFO/1024", "STRICT/FIFO/1024", "LAX/LIFO/1024", "LAX/FIFO/1024",
            "STRICT/LIFO/32");
}
