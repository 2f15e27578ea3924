package dev.creddy.anthropic.observe;

import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.jmx.JmxReporter;
import dev.creddy.anthropic.config.Settings;
import dev.creddy.anthropic.forward.UpstreamClient;
import dev.creddy.anthropic.config.TokenStoreKind;
import dev.creddy.anthropic.token.ConfiguredTokenRegistry;
import dev.creddy.anthropic.usage.ConcurrencyGate;
import dev.creddy.anthropic.usage.ConfiguredConcurrencyGate;
import dev.creddy.anthropic.token.RedisFailure;
import dev.creddy.anthropic.token.RedisLink;
import dev.creddy.anthropic.token.TokenExpired;
import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Counter;
import dev.creddy.anthropic.usage.ConfiguredUsageLedger;
import dev.creddy.anthropic.usage.Usage;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.jmx.JmxConfig;
import io.micrometer.jmx.JmxMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.interceptor.Interceptor;
import jakarta.servlet.ServletContext;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import java.util.logging.Logger;

/**
 * The proxy's metrics: one Micrometer registry per deployment, shown in JMX under the domain
 * {@value ManagementBeans#DOMAIN} and as Prometheus text at {@code /metrics}, and closed at
 * undeployment, which removes every MBean it registered. With {@code metrics=off} nothing is shown
 * and recording costs next to nothing (the registry has no outputs).
 *
 * <p>Every meter name starts with {@value #PREFIX}; Prometheus shows {@code creddy.requests} as
 * {@code creddy_requests_total}, JMX as {@code creddy:name=requests,context="/app",…}. Tags are
 * bounded: endpoint classes ({@link EndpointClass}), the usual HTTP methods, statuses, and at most
 * {@code metrics-max-agents} agent names ({@link AgentTags}).
 *
 * <p>One instance per deployment, injected without a client proxy ({@link DeploymentSingleton}): every
 * request records into it. Thread-safe: Micrometer's registries and meters are.
 */
@DeploymentSingleton
public class ProxyMetrics {

    /** What every meter name starts with. */
    static final String PREFIX = "creddy.";

    private static final Logger LOG = Logger.getLogger(ProxyMetrics.class.getName());
    private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");
    private static final List<String> REJECTION_REASONS = List.of("missing", "malformed", "conflicting", "unknown");
    /**
     * Histogram buckets for Prometheus (JMX shows the reporter's own percentiles instead): from a
     * registry look-up to a long stream of extended thinking.
     */
    private static final Duration[] LATENCY_BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofMillis(100),
            Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
            Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofMinutes(1), Duration.ofMinutes(2), Duration.ofMinutes(5),
            Duration.ofMinutes(10)};

    private final CompositeMeterRegistry registry = new CompositeMeterRegistry();
    private final Settings settings;
    private final UpstreamClient upstream;
    private final ConfiguredTokenRegistry tokens;
    private final ConfiguredUsageLedger usage;
    private final ConcurrencyGate concurrency;
    private final AgentTags agents;
    /**
     * Meters recorded on every request, looked up once per tag set: building a meter's id (its sorted
     * tags) and finding it in the composite registry cost more than the increment itself. Registered
     * with the composite, they reach the outputs added later as any composite meter does.
     */
    private final ConcurrentMap<RequestKey, Counter> requestCounters = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, TokenCounters> tokenCounters = new ConcurrentHashMap<>();
    private volatile PrometheusMeterRegistry prometheus;
    private JmxMeterRegistry jmx;

    /**
     * @param tokens the store itself, not the measured registry (which is made with this bean): only
     *     its count of active tokens is read
     * @param usage the usage ledger: only its count of dropped records is read
     */
    @Inject
    public ProxyMetrics(Settings settings, UpstreamClient upstream, ConfiguredTokenRegistry tokens, ConfiguredUsageLedger usage,
            ConfiguredConcurrencyGate concurrency) {
        this.settings = settings;
        this.concurrency = concurrency;
        this.upstream = upstream;
        this.tokens = tokens;
        this.usage = usage;
        this.agents = new AgentTags(settings.metricsMaxAgents());
    }

    /**
     * Registers the counters a scrape should show as zeros (so rate() works) before the first event.
     * Only once the outputs are in the composite: a meter registered before its outputs are added
     * reaches them late, which Micrometer warns about at every start.
     */
    private void registerUpFront() {
        tokensIssued();
        tokensRevoked();
        tokensExpired();
        for (String reason : REJECTION_REASONS) {
            rejections(reason);
        }
    }

    private Counter tokensIssued() {
        return Counter.builder("creddy.tokens.issued").description("Tokens issued").register(registry);
    }

    private Counter tokensRevoked() {
        return Counter.builder("creddy.tokens.revoked")
                .description("Tokens revoked by an issuer or given back by their agent").register(registry);
    }

    private Counter tokensExpired() {
        return Counter.builder("creddy.tokens.expired")
                .description("Tokens dropped by the store when their lifetime ran out").register(registry);
    }

    /**
     * Opens the outputs as the application starts, after its settings are built (a later priority
     * than theirs). The event's payload is the application's context: its path names the MBeans.
     */
    void start(@Observes @Priority(Interceptor.Priority.APPLICATION + 600) @Initialized(ApplicationScoped.class)
            ServletContext context) {
        if (!settings.metrics()) {
            LOG.info("metrics are off (metrics=off): no MBeans, no /metrics");
            registerUpFront();
            return;
        }
        String application = context.getContextPath().isEmpty() ? "/" : context.getContextPath();
        JmxObjectNames names = new JmxObjectNames(application);
        MetricRegistry dropwizard = new MetricRegistry();
        JmxReporter reporter = JmxReporter.forRegistry(dropwizard)
                .inDomain(ManagementBeans.DOMAIN)
                .createsObjectNamesWith(names)
                .convertDurationsTo(TimeUnit.MILLISECONDS)
                .convertRatesTo(TimeUnit.SECONDS)
                .registerWith(ManagementFactory.getPlatformMBeanServer())
                .build();
        jmx = new JmxMeterRegistry(new CreddyJmxConfig(), Clock.SYSTEM, names, dropwizard, reporter);
        PrometheusMeterRegistry text = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        text.config().meterFilter(new MeterFilter() {
            @Override
            public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
                if (id.getType() != Meter.Type.TIMER) {
                    return config;
                }
                double[] buckets = new double[LATENCY_BUCKETS.length];
                for (int i = 0; i < buckets.length; i++) {
                    buckets[i] = LATENCY_BUCKETS[i].toNanos();
                }
                return DistributionStatisticConfig.builder().serviceLevelObjectives(buckets).build().merge(config);
            }
        });
        registry.add(jmx);
        registry.add(text);
        prometheus = text;
        registerUpFront();

        Gauge.builder("creddy.tokens.active", tokens, store -> {
            long count = store.activeCount();
            return count < 0 ? Double.NaN : count;
        }).description("Tokens that would validate now").strongReference(true).register(registry);
        if (settings.tokenStore() == TokenStoreKind.REDIS) {
            registerRedisLink();
        }
        Gauge.builder("creddy.concurrency.in_use", concurrency, ConcurrencyGate::inUse)
                .description("Requests in flight on this instance that hold a max_concurrent or agent-concurrency slot")
                .strongReference(true).register(registry);
        // Whatever the store: the memory ledger reserves too.
        Gauge.builder("creddy.spend.reservations.outstanding", usage, ledger -> (double) ledger.reservationsOutstanding())
                .description("Dollar reservations this instance made for requests in flight and has not settled yet")
                .strongReference(true).register(registry);
        poolGauge("leased", UpstreamClient::getLeased);
        poolGauge("pending", UpstreamClient::getPending);
        poolGauge("available", UpstreamClient::getAvailable);
        poolGauge("max", UpstreamClient::getMax);
        String metricsPath = (application.equals("/") ? "" : application) + "/metrics";
        LOG.info(() -> "metrics in JMX under " + ManagementBeans.DOMAIN + ":context=\"" + application
                + "\",* and as Prometheus text at " + metricsPath);
    }

    /**
     * The Redis link as ops watch it: connected and subscribed now, the fail-fast circuit, failures by
     * kind, failovers seen and command latency; and what it means for tokens and usage: the
     * validation cache's hits and misses, and usage records dropped, by why. Read at each scrape
     * through the registry (the store is made after the metrics), so nothing here holds the link
     * before it exists.
     */
    private void registerRedisLink() {
        linkGauge("creddy.redis.connected", "Whether commands reach a Redis primary now (1) or not (0)",
                link -> link.isConnected() ? 1 : 0);
        linkGauge("creddy.redis.subscribed", "Whether the revocation channel's subscription is confirmed (1) or not (0)",
                link -> link.isSubscribedNow() ? 1 : 0);
        linkGauge("creddy.redis.circuit.open", "Whether the link fails fast after repeated timeouts (1) or not (0)",
                link -> link.circuit() == RedisLink.Circuit.OPEN ? 1 : 0);
        for (RedisFailure.Kind kind : RedisFailure.Kind.values()) {
            FunctionCounter.builder("creddy.redis.failures", tokens,
                            registry -> registry.redisLink().map(link -> (double) link.failures(kind)).orElse(0.0))
                    .description("Redis commands that failed, by kind").tag("kind", kind.tag()).register(registry);
        }
        for (String result : List.of("hit", "miss")) {
            FunctionCounter.builder("creddy.validation.cache.lookups", tokens, registry -> registry.redisStore()
                            .map(store -> (double) (result.equals("hit") ? store.cacheHits() : store.cacheMisses())).orElse(0.0))
                    .description("Token validations this instance's cache answered (hit) or had to ask Redis for (miss)")
                    .tag("result", result).register(registry);
        }
        for (RedisFailure.Kind kind : RedisFailure.Kind.values()) {
            FunctionCounter.builder("creddy.usage.records.dropped", usage, ledger -> ledger.droppedRecordsFor(kind))
                    .description("Usage records Redis did not take (they are lost), by why").tag("reason", kind.tag())
                    .register(registry);
        }
        FunctionCounter.builder("creddy.redis.failovers", tokens,
                        registry -> registry.redisLink().map(link -> (double) link.failoversSeen()).orElse(0.0))
                .description("Times the link moved to another primary").register(registry);
        FunctionTimer.builder("creddy.redis.commands", tokens,
                        registry -> registry.redisLink().map(link -> link.latency().count()).orElse(0L),
                        registry -> registry.redisLink().map(link -> link.latency().total(TimeUnit.NANOSECONDS)).orElse(0.0),
                        TimeUnit.NANOSECONDS)
                .description("Redis commands answered, and the time they took").register(registry);
    }

    private void linkGauge(String name, String description, ToDoubleFunction<RedisLink> value) {
        Gauge.builder(name, tokens, registry -> registry.redisLink().map(value::applyAsDouble).orElse(Double.NaN))
                .description(description).strongReference(true).register(registry);
    }

    private void poolGauge(String state, ToDoubleFunction<UpstreamClient> value) {
        Gauge.builder("creddy.upstream.pool", upstream, value)
                .description("The upstream connection pool: connections leased and available, its size (max), and "
                        + "exchanges waiting for a connection (pending)")
                .tag("state", state).strongReference(true).register(registry);
    }

    /** Closes the outputs: the JMX reporter unregisters every MBean it registered. */
    @PreDestroy
    void stop() {
        registry.close();
        if (jmx != null) {
            jmx.close();
        }
        if (prometheus != null) {
            prometheus.close();
        }
    }

    /** The registry every meter of the application is registered with. */
    MeterRegistry registry() {
        return registry;
    }

    /** The Prometheus output, or empty when metrics are off. */
    public Optional<PrometheusMeterRegistry> prometheus() {
        return Optional.ofNullable(prometheus);
    }

    /**
     * Counts one request to the API, forwarded or answered by the proxy itself.
     *
     * @param path the decoded, normalised path within the application
     * @param method the client's method
     * @param status what the client got, 0 when it left before any
     * @param agentName the caller's agent name, or null when no valid token was found
     */
    public void requestCompleted(String path, String method, int status, String agentName) {
        String knownMethod = method == null ? "OTHER" : method.toUpperCase(Locale.ROOT);
        RequestKey key = new RequestKey(EndpointClass.of(path), METHODS.contains(knownMethod) ? knownMethod : "OTHER",
                status, agents.tagFor(agentName));
        Counter counter = requestCounters.get(key);
        if (counter == null) {
            counter = requestCounters.computeIfAbsent(key, k -> Counter.builder("creddy.requests")
                    .description("Requests to /v1/**, forwarded or answered by the proxy")
                    .tag("endpoint", k.endpoint())
                    .tag("method", k.method())
                    .tag("status", Integer.toString(k.status()))
                    .tag("agent", k.agent())
                    .register(registry));
        }
        counter.increment();
    }

    /**
     * Counts the tokens one exchange used, by agent and kind ({@code input}, {@code output},
     * {@code cache_creation}, {@code cache_read}); kinds it did not use are not touched.
     *
     * @param agentName the caller's agent name
     */
    public void tokensUsed(String agentName, Usage used) {
        if (used.inputTokens() <= 0 && used.outputTokens() <= 0 && used.cacheCreationInputTokens() <= 0
                && used.cacheReadInputTokens() <= 0) {
            return;
        }
        TokenCounters counters = tokenCounters.get(agents.tagFor(agentName));
        if (counters == null) {
            counters = tokenCounters.computeIfAbsent(agents.tagFor(agentName), TokenCounters::new);
        }
        counters.count(used);
    }

    /**
     * The tags of one {@code creddy.requests} counter. The tags are bounded (see the class comment), so
     * the cache of counters by these is too.
     */
    private record RequestKey(String endpoint, String method, int status, String agent) {
    }

    /**
     * The four {@code creddy.usage.tokens} counters and the {@code creddy.cost.usd} counter of one agent
     * tag, registered together once.
     */
    private final class TokenCounters {
        private final Counter input;
        private final Counter output;
        private final Counter cacheCreation;
        private final Counter cacheRead;
        private final Counter cost;

        TokenCounters(String agent) {
            input = tokenCounter(agent, "input");
            output = tokenCounter(agent, "output");
            cacheCreation = tokenCounter(agent, "cache_creation");
            cacheRead = tokenCounter(agent, "cache_read");
            cost = Counter.builder("creddy.cost.usd")
                    .description("What forwarded requests cost in US dollars, priced with the price table, by agent")
                    .tag("agent", agent)
                    .register(registry);
        }

        void count(Usage used) {
            increment(input, used.inputTokens());
            increment(output, used.outputTokens());
            increment(cacheCreation, used.cacheCreationInputTokens());
            increment(cacheRead, used.cacheReadInputTokens());
            if (used.costMicros() > 0) {
                // Exact micro-dollars are kept by the ledger; the metric is a display of them.
                cost.increment(used.costMicros() / 1_000_000.0);
            }
        }

        private static void increment(Counter counter, long tokens) {
            if (tokens > 0) {
                counter.increment(tokens);
            }
        }
    }

    private Counter tokenCounter(String agent, String kind) {
        return Counter.builder("creddy.usage.tokens")
                .description("Tokens the upstream reported as used by forwarded requests (usage metering), by agent and kind")
                .baseUnit("tokens")
                .tag("agent", agent)
                .tag("kind", kind)
                .register(registry);
    }

    /**
     * Counts a presented token that was refused.
     *
     * @param reason {@code missing}, {@code malformed}, {@code conflicting} or {@code unknown}
     */
    public void tokenRejected(String reason) {
        rejections(reason).increment();
    }

    private Counter rejections(String reason) {
        return Counter.builder("creddy.token.validation.failures")
                .description("Presented tokens that were refused, by reason")
                .tag("reason", reason)
                .register(registry);
    }

    /** The timer of one kind of registry call: {@code issue}, {@code validate}, {@code revoke}, {@code list}. */
    Timer registryTimer(String operation) {
        return Timer.builder("creddy.token.registry")
                .description("Time spent in the token registry's store")
                .tag("operation", operation)
                .register(registry);
    }

    void tokenIssued() {
        tokensIssued().increment();
    }

    void tokenRevoked() {
        tokensRevoked().increment();
    }

    void expired(@Observes TokenExpired event) {
        tokensExpired().increment();
    }

    /** JMX with the proxy's domain; nothing else is read from configuration. */
    private static final class CreddyJmxConfig implements JmxConfig {
        @Override
        public String get(String key) {
            return null;
        }

        @Override
        public String domain() {
            return ManagementBeans.DOMAIN;
        }
    }
}
