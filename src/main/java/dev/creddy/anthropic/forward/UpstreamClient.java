package dev.creddy.anthropic.forward;

import dev.creddy.anthropic.config.Settings;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.config.TlsConfig;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManager;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.config.Http1Config;
import org.apache.hc.core5.http.nio.AsyncRequestProducer;
import org.apache.hc.core5.http.nio.AsyncResponseConsumer;
import org.apache.hc.core5.http2.HttpVersionPolicy;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.pool.PoolConcurrencyPolicy;
import org.apache.hc.core5.pool.PoolReusePolicy;
import org.apache.hc.core5.pool.PoolStats;
import org.apache.hc.core5.reactor.IOReactorStatus;
import org.apache.hc.core5.reactor.IOReactorConfig;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

/**
 * The one HTTP client to the upstream: HttpClient 5's async client over a pooled connection
 * manager, plus the timer for response-header deadlines (the client's own response timeout is an
 * inactivity timeout, not a deadline).
 *
 * <p>The client follows no redirects, retries nothing, keeps no cookies and does not decompress:
 * the proxy passes exchanges through as they are. Thread-safe; created at deployment and closed at
 * undeployment.
 */
@ApplicationScoped
public class UpstreamClient implements UpstreamPoolMXBean {

    private static final Logger LOG = Logger.getLogger(UpstreamClient.class.getName());

    /** The most header lines an upstream response may have. */
    static final int MAX_RESPONSE_HEADERS = 200;
    /** The longest line (status line or header) an upstream response may have, in bytes. */
    static final int MAX_HEADER_LINE = 16 * 1024;
    /** The upstream connection's receive window per exchange, in bytes. */
    static final int WINDOW = 64 * 1024;
    /** The size of each of an upstream connection's I/O buffers, in bytes (HttpCore's default is 8 KB). */
    static final int CONNECTION_BUFFER = 4 * 1024;

    private Settings settings;
    private PoolingAsyncClientConnectionManager pool;
    private CloseableHttpAsyncClient client;
    private ScheduledExecutorService deadlines;

    /** For CDI's proxy. */
    protected UpstreamClient() {
    }

    @Inject
    public UpstreamClient(Settings settings) {
        this.settings = settings;
    }

    @PostConstruct
    void start() {
        Timeout idle = Timeout.of(settings.upstreamIdleTimeout());
        pool = PoolingAsyncClientConnectionManagerBuilder.create()
                .setMaxConnTotal(settings.upstreamMaxConnections())
                .setMaxConnPerRoute(settings.upstreamMaxConnections())
                // Chosen by measurement (bench/README, "pool policy"): every variant ran within the spread of
                // one variant's own rounds, so the pool never bounds the proxy; STRICT is the policy that
                // holds the configured maximum, which readiness and the pool gauges report against, and LIFO
                // reuses the warmest connection.
                .setPoolConcurrencyPolicy(PoolConcurrencyPolicy.STRICT)
                .setConnPoolPolicy(PoolReusePolicy.LIFO)
                .setDefaultConnectionConfig(ConnectionConfig.custom()
                        .setConnectTimeout(Timeout.of(settings.upstreamConnectTimeout()))
                        .setSocketTimeout(idle)
                        .setValidateAfterInactivity(TimeValue.ofSeconds(2))
                        .build())
                // One exchange per connection keeps back-pressure per stream simple and predictable.
                .setDefaultTlsConfig(TlsConfig.custom().setVersionPolicy(HttpVersionPolicy.FORCE_HTTP_1).build())
                .build();
        client = HttpAsyncClients.custom()
                .setConnectionManager(pool)
                .setThreadFactory(appThreads("httpclient-dispatch"))
                .setHttp1Config(Http1Config.custom()
                        // An upstream head beyond these fails the exchange with a 502 instead of buffering
                        // without end (Anthropic sends about 30 headers, none longer than a few hundred bytes).
                        .setMaxHeaderCount(MAX_RESPONSE_HEADERS)
                        .setMaxLineLength(MAX_HEADER_LINE)
                        // The window a stalled client can hold per stream: what the writer may buffer
                        // before it stops crediting the upstream (the documented 64 KB per direction).
                        .setInitialWindowSize(WINDOW)
                        // Each upstream connection holds three buffers of this size (session in and out, content)
                        // for as long as its stream is open; 8 KB each was a third of a held stream's heap.
                        .setBufferSize(CONNECTION_BUFFER)
                        .build())
                .setIOReactorConfig(IOReactorConfig.custom()
                        .setIoThreadCount(Math.max(1, Runtime.getRuntime().availableProcessors()))
                        .setTcpNoDelay(true)
                        .setSoKeepAlive(true)
                        .build())
                .setDefaultRequestConfig(RequestConfig.custom()
                        .setResponseTimeout(idle)
                        // The pool's wait is bounded: an exchange that gets no connection in time fails with
                        // 503 and retry-after (Outcome.UPSTREAM_BUSY) instead of queueing without end.
                        .setConnectionRequestTimeout(Timeout.of(settings.upstreamPoolWait()))
                        .setRedirectsEnabled(false)
                        .setExpectContinueEnabled(false)
                        .build())
                .disableRedirectHandling()
                .disableAutomaticRetries()
                .disableCookieManagement()
                .disableAuthCaching()
                .disableConnectionState()
                .build();
        client.start();
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, appThreads("creddy-upstream-deadlines"));
        // Nearly every deadline is cancelled when the headers arrive; a cancelled one must not stay
        // queued (holding its exchange) until its time would have come.
        timer.setRemoveOnCancelPolicy(true);
        deadlines = timer;
    }

    /**
     * Threads whose context class loader is the application's, whichever thread happens to create them:
     * the meters and the error exit look JSON providers up through it (a reactor thread that inherited
     * another loader finds Parsson under the wrong one, and the meter's class never initialises).
     */
    static java.util.concurrent.ThreadFactory appThreads(String name) {
        ClassLoader application = UpstreamClient.class.getClassLoader();
        java.util.concurrent.atomic.AtomicInteger count = new java.util.concurrent.atomic.AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, name + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            thread.setContextClassLoader(application);
            return thread;
        };
    }

    /** Sends one exchange; the consumer streams the response, the callback hears the outcome. */
    public <T> Future<T> execute(AsyncRequestProducer request, AsyncResponseConsumer<T> response, FutureCallback<T> callback) {
        return client.execute(request, response, callback);
    }

    /** Runs {@code task} after {@code delay} on the deadline timer, unless cancelled first. */
    public ScheduledFuture<?> schedule(Runnable task, Duration delay) {
        return deadlines.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * Why the client cannot take exchanges now, for the readiness check: it is shutting down or shut
     * down, or every connection is leased and exchanges are queueing for one. Empty when it can. Cheap.
     */
    public Optional<String> unavailableReason() {
        IOReactorStatus status = client.getStatus();
        // INACTIVE is the moment between start() and the reactor thread running: requests already queue.
        if (status == IOReactorStatus.SHUTTING_DOWN || status == IOReactorStatus.SHUT_DOWN) {
            return Optional.of("the upstream HTTP client is " + status.name().toLowerCase(Locale.ROOT).replace('_', ' '));
        }
        PoolStats stats = pool.getTotalStats();
        if (stats.getPending() > 0 && stats.getLeased() >= stats.getMax()) {
            return Optional.of("the upstream connection pool is exhausted: " + stats.getLeased() + " of " + stats.getMax()
                    + " connections leased, " + stats.getPending() + " exchange(s) waiting (upstream-max-connections)");
        }
        return Optional.empty();
    }

    @Override
    public int getLeased() {
        return pool.getTotalStats().getLeased();
    }

    @Override
    public int getPending() {
        return pool.getTotalStats().getPending();
    }

    @Override
    public int getAvailable() {
        return pool.getTotalStats().getAvailable();
    }

    @Override
    public int getMax() {
        return pool.getTotalStats().getMax();
    }

    /**
     * Lets in-flight exchanges finish, up to the shutdown grace, then closes the client. By the time
     * the application is destroyed the container accepts no new requests, so the count only falls.
     */
    @PreDestroy
    void stop() {
        long deadline = System.nanoTime() + settings.shutdownGrace().toNanos();
        int inFlight = pool.getTotalStats().getLeased();
        if (inFlight > 0) {
            LOG.info(() -> "waiting up to " + settings.shutdownGrace().toSeconds() + " s for " + pool.getTotalStats().getLeased()
                    + " upstream exchange(s) to finish");
        }
        while (inFlight > 0 && System.nanoTime() < deadline) {
            try {
                // The pool offers no completion signal; a short poll is cheap for the seconds of a shutdown.
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            inFlight = pool.getTotalStats().getLeased();
        }
        if (inFlight > 0) {
            LOG.warning("closing the upstream client with " + inFlight + " exchange(s) still in flight after the shutdown grace");
        }
        deadlines.shutdownNow();
        client.close(inFlight > 0 ? CloseMode.IMMEDIATE : CloseMode.GRACEFUL);
    }
}
