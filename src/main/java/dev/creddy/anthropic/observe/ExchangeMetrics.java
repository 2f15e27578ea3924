package dev.creddy.anthropic.observe;

import dev.creddy.anthropic.forward.ExchangeEnd;
import dev.creddy.anthropic.forward.ExchangeObserver;
import dev.creddy.anthropic.forward.ForwardedRequest;
import dev.creddy.anthropic.forward.Outcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.interceptor.Interceptor;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The metrics of forwarded exchanges: streams open now, time to the upstream's response head, the
 * whole exchange's duration, body bytes each way, and the request count once each exchange ends.
 *
 * <p>One instance per deployment, injected without a client proxy ({@link DeploymentSingleton}): every
 * exchange calls it. Thread-safe: counters and timers are, and each exchange's tags are fixed when it
 * starts. The end arrives off the reactor threads, once per exchange, whatever ended it, so
 * {@code creddy.streams.open} always comes back down.
 */
@DeploymentSingleton
public class ExchangeMetrics implements ExchangeObserver {

    private final ProxyMetrics metrics;
    private final AtomicInteger openStreams = new AtomicInteger();
    /**
     * The timers every exchange records into, looked up once per tag set (endpoint classes and outcomes
     * are few): building a meter's id and finding it in the registry cost more than recording.
     */
    private final ConcurrentMap<String, Timer> headTimers = new ConcurrentHashMap<>();
    private final ConcurrentMap<DurationKey, Timer> durationTimers = new ConcurrentHashMap<>();
    private Counter bytesIn;
    private Counter bytesOut;

    @Inject
    public ExchangeMetrics(ProxyMetrics metrics) {
        this.metrics = metrics;
    }

    @PostConstruct
    void register() {
        Gauge.builder("creddy.streams.open", openStreams, AtomicInteger::get)
                .description("Forwarded exchanges in flight")
                .strongReference(true).register(metrics.registry());
        bytesIn = bytes("in");
        bytesOut = bytes("out");
    }

    /** Creates the meters at start-up, so a scrape shows them before the first request. */
    void eager(@Observes @Priority(Interceptor.Priority.APPLICATION + 700) @Initialized(ApplicationScoped.class) Object event) {
        // Being called created the bean, which registered its meters.
    }

    private Counter bytes(String direction) {
        return Counter.builder("creddy.forwarded.bytes")
                .description("Body bytes forwarded: in = request bodies read from clients, out = response bodies taken "
                        + "from the upstream for clients")
                .baseUnit("bytes")
                .tag("direction", direction)
                .register(metrics.registry());
    }

    @Override
    public Observation started(ForwardedRequest request) {
        openStreams.incrementAndGet();
        return new Observed(request.caller().agentName(), request.method(), request.path());
    }

    /** The tags of one {@code creddy.exchange.duration} timer. */
    private record DurationKey(String endpoint, Outcome outcome) {
    }

    /** One exchange; its endpoint class is worked out once. */
    private final class Observed implements Observation {
        private final String agentName;
        private final String method;
        private final String path;
        private final String endpoint;

        Observed(String agentName, String method, String path) {
            this.agentName = agentName;
            this.method = method;
            this.path = path;
            this.endpoint = EndpointClass.of(path);
        }

        @Override
        public void responseHead(int status, long nanos) {
            Timer timer = headTimers.get(endpoint);
            if (timer == null) {
                timer = headTimers.computeIfAbsent(endpoint, e -> Timer.builder("creddy.upstream.time.to.head")
                        .description("From a forwarded request's arrival to the upstream's response head")
                        .tag("endpoint", e)
                        .register(metrics.registry()));
            }
            timer.record(nanos, TimeUnit.NANOSECONDS);
        }

        @Override
        public void requestBodyRead(int bytes) {
            bytesIn.increment(bytes);
        }

        @Override
        public void responseBodyReceived(int bytes) {
            bytesOut.increment(bytes);
        }

        @Override
        public void ended(ExchangeEnd end) {
            openStreams.decrementAndGet();
            metrics.tokensUsed(agentName, end.used());
            DurationKey key = new DurationKey(endpoint, end.outcome());
            Timer timer = durationTimers.get(key);
            if (timer == null) {
                timer = durationTimers.computeIfAbsent(key, k -> Timer.builder("creddy.exchange.duration")
                        .description("From a forwarded request's arrival to its end: the last byte to the client, or a failure")
                        .tag("endpoint", k.endpoint())
                        .tag("outcome", k.outcome().wireName())
                        .register(metrics.registry()));
            }
            timer.record(end.nanos(), TimeUnit.NANOSECONDS);
            metrics.requestCompleted(path, method, end.status(), agentName);
        }
    }
}
