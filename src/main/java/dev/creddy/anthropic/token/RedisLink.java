package dev.creddy.anthropic.token;

import dev.creddy.anthropic.config.GoDuration;
import dev.creddy.anthropic.config.RedisSettings;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import io.netty.util.internal.logging.InternalLoggerFactory;
import io.netty.util.internal.logging.Slf4JLoggerFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * This instance's two connections to Redis: one shared connection for commands (Lettuce multiplexes
 * every thread's commands over it) and one subscribed to the revocation channel. The topology is
 * the URL's: a single Redis (or a managed endpoint that fails over behind one name), Sentinels
 * ({@code redis-sentinel://}: Lettuce asks them for the current master at every connect), or a
 * Cluster (Lettuce's cluster client, with periodic and adaptive topology refresh). Lettuce reconnects
 * by itself and subscribes again; this class also keeps trying when Redis is not there at start-up.
 *
 * <p>What Lettuce does not do, this class does:
 * <ul>
 * <li><b>Never stay on a replica.</b> A command answered {@code READONLY} means the node was demoted
 *     (a failover behind one address, or a Sentinel that moved the master): the command connection is
 *     replaced by a new one to the current primary, found anew by Sentinel or by name.</li>
 * <li><b>No silent connection.</b> Besides TCP keepalive with short settings (and TCP_USER_TIMEOUT
 *     where the native transport is there), both connections are PINGed every
 *     {@link #PING_INTERVAL}; a ping unanswered within {@link #PING_DEADLINE}, twice in a row, or
 *     {@value #TIMEOUTS_TO_OPEN} command timeouts in a row, replace the connection: a frozen node, or
 *     a balancer that keeps old sessions on a dead one, is left within seconds.</li>
 * <li><b>A circuit.</b> While Redis is stalled ({@link Circuit#OPEN}: the same conditions), commands
 *     fail at once instead of each holding its request thread for the whole command timeout; the
 *     next answered ping closes it.</li>
 * </ul>
 *
 * <p>Every command goes through {@link #call} or {@link #callAsync}, which turn any failure to get an
 * answer into {@link TokenStoreUnavailableException} with the failure's {@link RedisFailure} in its
 * message: the token store and the usage ledger share this connection and this one way of failing.
 * The store that created the link starts and closes it.
 *
 * <p>Thread-safe. {@link #start()} and {@link #close()} are called once each; nothing is opened in
 * the constructor. The circuit and the connection swap are single atomic references, so a racing
 * command sees either the old connection (and fails or succeeds on it) or the new one.
 */
public final class RedisLink implements AutoCloseable {

    /**
     * Whether commands are sent. CLOSED → OPEN after repeated timeouts or missed pings; OPEN → CLOSED
     * when a ping is answered or a new connection has been made.
     */
    public enum Circuit {
        CLOSED, OPEN
    }

    private static final Logger LOG = Logger.getLogger(RedisLink.class.getName());
    /** How soon to try again when Redis is not there; Lettuce's own reconnects use the same cap. */
    private static final Duration RETRY_DELAY = Duration.ofSeconds(1);
    /** Commands waiting for their reply at once; a bound on memory if Redis stalls under load. */
    private static final int REQUEST_QUEUE_SIZE = 10_000;
    private static final Duration WARNING_INTERVAL = Duration.ofSeconds(10);
    static final Duration PING_INTERVAL = Duration.ofMillis(500);
    /** Redis answers PING in microseconds unless it is stalled: a second without an answer is a stall. */
    static final Duration PING_DEADLINE = Duration.ofSeconds(1);
    static final int PINGS_MISSED_TO_OPEN = 2;
    static final int TIMEOUTS_TO_OPEN = 3;
    /** How soon a failed replacement is tried again: the new primary is usually a moment away. */
    private static final Duration REPLACE_RETRY_DELAY = Duration.ofMillis(200);
    /** Which node answers is asked every this many answered pings (5 s), and after each new connection. */
    private static final int IDENTITY_EVERY_PINGS = 10;
    /** Keepalive: a dead peer (no RST, no FIN) is found within idle + count × interval. */
    private static final Duration KEEPALIVE_IDLE = Duration.ofSeconds(5);
    private static final Duration KEEPALIVE_INTERVAL = Duration.ofSeconds(1);
    private static final int KEEPALIVE_COUNT = 3;
    private static final Duration TCP_USER_TIMEOUT = Duration.ofSeconds(8);

    private final RedisSettings settings;
    private final String channel;
    private final Consumer<String> onMessage;
    private final Runnable onMaybeMissed;
    private final LogThrottle failureWarnings = new LogThrottle(WARNING_INTERVAL);
    private final String clientName;

    private final AtomicReference<Circuit> circuit = new AtomicReference<>(Circuit.CLOSED);
    private final AtomicInteger consecutiveTimeouts = new AtomicInteger();
    private final AtomicInteger missedPings = new AtomicInteger();
    private final AtomicInteger missedSubscriptionPings = new AtomicInteger();
    private final AtomicBoolean replacing = new AtomicBoolean();
    private final AtomicBoolean replacingSubscription = new AtomicBoolean();
    private final AtomicBoolean pinging = new AtomicBoolean();
    private final AtomicBoolean pingingSubscription = new AtomicBoolean();
    /** The run_id of the node that answers the command connection: another one means a failover (or a restart). */
    private final AtomicReference<String> primaryRunId = new AtomicReference<>();
    private final AtomicInteger pingsSinceIdentity = new AtomicInteger();
    private final Map<RedisFailure.Kind, LongAdder> failures = new ConcurrentHashMap<>();
    private final LongAdder failovers = new LongAdder();
    private final LinkTimer latency = new LinkTimer();

    private ClientResources resources;
    private AbstractRedisClient client;
    private RedisURI uri;
    private List<RedisURI> seeds;
    private ScheduledFuture<?> pinger;
    private volatile Session session;
    /** Whose turn it is on the connection of {@link #callAcknowledged}. */
    private final ReentrantLock acknowledgedTurn = new ReentrantLock();
    /** The connection of {@link #callAcknowledged}, opened at its first use; changed only by who holds the turn (and close). */
    private volatile StatefulRedisConnection<String, String> acknowledged;
    private volatile StatefulRedisPubSubConnection<String, String> subscription;
    private volatile boolean subscribed;
    private volatile boolean closed;
    /** Why the last attempt to connect failed, while there is no connection: auth, TLS, refused… */
    private volatile RedisFailure connectFailure;

    /** One command connection with its two views; the cluster's and a single node's share these interfaces. */
    private record Session(StatefulConnection<String, String> connection, RedisClusterCommands<String, String> sync,
            RedisClusterAsyncCommands<String, String> async) {

        static Session of(StatefulConnection<String, String> connection) {
            if (connection instanceof StatefulRedisClusterConnection<String, String> cluster) {
                return new Session(cluster, cluster.sync(), cluster.async());
            }
            StatefulRedisConnection<String, String> single = (StatefulRedisConnection<String, String>) connection;
            return new Session(single, single.sync(), single.async());
        }
    }

    /**
     * @param channel the channel to subscribe to
     * @param onMessage gets every message on it, on a Lettuce I/O thread: must be quick
     * @param onMaybeMissed runs when messages may have been lost, also on a Lettuce thread
     */
    RedisLink(RedisSettings settings, String channel, Consumer<String> onMessage, Runnable onMaybeMissed) {
        this.settings = settings;
        this.channel = channel;
        this.onMessage = onMessage;
        this.onMaybeMissed = onMaybeMissed;
        this.clientName = RedisConnectionSetup.clientName();
    }

    /**
     * Connects both connections, waiting at most the command timeout; if Redis is not there yet, keeps
     * trying in the background and returns.
     */
    void start() {
        // Netty, and Lettuce through it, would log to java.util.logging: a reconnect warning per
        // connection per second during an outage, and at debug level the commands' arguments. Like
        // HttpClient's, their logging goes to the application's no-op SLF4J binding; this class logs
        // what an operator needs (lost, reconnected, failing). Netty here is the application's own copy.
        InternalLoggerFactory.setDefaultFactory(Slf4JLoggerFactory.INSTANCE);
        resources = DefaultClientResources.builder()
                // Two connections need little: the defaults (one thread per core, at least three) are for busy clients.
                .ioThreadPoolSize(2)
                .computationThreadPoolSize(2)
                .reconnectDelay(Delay.exponential(Duration.ofMillis(50), RETRY_DELAY, 2, TimeUnit.MILLISECONDS))
                .build();
        RedisConnectionSetup setup = new RedisConnectionSetup(settings, clientName);
        SocketOptions socket = SocketOptions.builder()
                .connectTimeout(settings.commandTimeout())
                .keepAlive(SocketOptions.KeepAliveOptions.builder().enable().idle(KEEPALIVE_IDLE)
                        .interval(KEEPALIVE_INTERVAL).count(KEEPALIVE_COUNT).build())
                // Applied by Lettuce only with a native transport (epoll, io_uring); NIO keeps the keepalive above.
                .tcpUserTimeout(SocketOptions.TcpUserTimeoutOptions.builder().enable().tcpUserTimeout(TCP_USER_TIMEOUT).build())
                .build();
        if (settings.cluster()) {
            seeds = setup.seeds();
            RedisClusterClient cluster = RedisClusterClient.create(resources, seeds);
            cluster.setOptions(ClusterClientOptions.builder()
                    .autoReconnect(true)
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .requestQueueSize(REQUEST_QUEUE_SIZE)
                    .socketOptions(socket)
                    .sslOptions(setup.sslOptions())
                    .timeoutOptions(TimeoutOptions.enabled(settings.commandTimeout()))
                    .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                            .enablePeriodicRefresh(Duration.ofSeconds(30))
                            .enableAllAdaptiveRefreshTriggers()
                            .adaptiveRefreshTriggersTimeout(Duration.ofSeconds(1))
                            .closeStaleConnections(true)
                            .build())
                    .build());
            client = cluster;
        } else {
            uri = setup.uri();
            RedisClient single = RedisClient.create(resources);
            single.setOptions(ClientOptions.builder()
                    .autoReconnect(true)
                    // Fail closed at once while disconnected: a queued command would hold its request thread.
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .requestQueueSize(REQUEST_QUEUE_SIZE)
                    .socketOptions(socket)
                    .sslOptions(setup.sslOptions())
                    .timeoutOptions(TimeoutOptions.enabled(settings.commandTimeout()))
                    .build());
            client = single;
        }
        client.addListener(new StateListener());
        // The cluster client learns the topology with its first connection; a second one made at the
        // same time finds it not there yet ("Partitions not initialized"), so there they go in turn.
        CompletableFuture<?> both = settings.cluster()
                ? connectCommands().handle((connected, failure) -> null).thenCompose(ignored -> connectSubscription())
                : CompletableFuture.allOf(connectCommands(), connectSubscription());
        try {
            // A Cluster takes three steps in turn (topology, commands, subscription): twice as long.
            both.get(settings.commandTimeout().toMillis() * (settings.cluster() ? 2 : 1), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            RedisFailure failure = RedisFailure.of(e instanceof ExecutionException ? e.getCause() : e);
            LOG.warning(() -> "token store: Redis at " + settings.maskedUrl() + " is not ready yet (" + failure.detail()
                    + "); requests that need a token get 503 until it is, and the proxy keeps trying");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        pinger = resources.eventExecutorGroup().scheduleWithFixedDelay(this::ping, PING_INTERVAL.toMillis(),
                PING_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The name this instance's connections give themselves ({@code CLIENT SETNAME}), unique per instance. */
    public String clientName() {
        return clientName;
    }

    /** What every key and the channel start with. */
    public String keyPrefix() {
        return settings.keyPrefix();
    }

    /** Whether the link talks to a Redis Cluster. */
    public boolean cluster() {
        return settings.cluster();
    }

    /**
     * Runs one command on the shared connection and waits for its answer, at most the command timeout.
     *
     * @throws TokenStoreUnavailableException when there is no answer: no connection yet, the
     *     connection is down, the circuit is open, Redis failed the command or did not answer in time
     */
    public <T> T call(Function<RedisClusterCommands<String, String>, T> command) {
        Session current = session();
        long started = System.nanoTime();
        try {
            T answer = command.apply(current.sync());
            answered(started);
            return answer;
        } catch (RedisException e) {
            throw failed(current, e, started);
        }
    }

    /**
     * A reply from {@link #callAsync}, waited for at most the command timeout Lettuce holds it to; a
     * store outage is thrown anew, so that its trace shows the caller rather than a Lettuce thread.
     */
    public static <T> T await(CompletableFuture<T> reply) {
        try {
            return reply.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof TokenStoreUnavailableException unavailable) {
                throw new TokenStoreUnavailableException(unavailable.getMessage(), unavailable,
                        unavailable.redisFailure().orElse(null));
            }
            throw e;
        }
    }

    /**
     * Sends one command on the shared connection without waiting for it: the caller's thread only
     * writes the command to the connection's buffer (Lettuce queues at most
     * {@value #REQUEST_QUEUE_SIZE} commands, and rejects more rather than block). The stage
     * completes on a Lettuce thread, so what follows it must be quick; it fails with
     * {@link TokenStoreUnavailableException} in the cases {@link #call} throws it. Commands sent on
     * this connection run in the order they were sent, whether sent with this or with {@link #call}.
     */
    public <T> CompletionStage<T> callAsync(Function<RedisClusterAsyncCommands<String, String>, ? extends CompletionStage<T>> command) {
        CompletableFuture<T> answer = new CompletableFuture<>();
        long started = System.nanoTime();
        try {
            Session current = session();
            command.apply(current.async()).whenComplete((value, failure) -> {
                Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure;
                if (cause == null) {
                    answered(started);
                    answer.complete(value);
                } else if (cause instanceof TokenStoreUnavailableException unavailable) {
                    answer.completeExceptionally(unavailable);
                } else {
                    answer.completeExceptionally(failed(current, cause instanceof RedisException redis ? redis
                            : new RedisException(cause), started));
                }
            });
        } catch (TokenStoreUnavailableException e) {
            answer.completeExceptionally(e);
        } catch (RedisException e) {
            answer.completeExceptionally(failed(session, e, started));
        }
        return answer;
    }

    /**
     * A write and how many replicas had it when it was answered.
     *
     * @param value what the write answered
     * @param replicas how many replicas acknowledged it ({@code WAIT}'s answer)
     */
    public record Acknowledged<T>(T value, long replicas) {
    }

    /**
     * Runs {@code write} on a connection of its own, then {@code WAIT replicas timeout} there: Redis
     * blocks the connection that waits, so the shared one (every request's) never does. {@code WAIT}
     * counts the replicas that have every write this connection made so far, this one included.
     * Callers take turns; meant for rare writes (revocations). One that cannot have its turn within
     * the command timeout (others are waiting for absent replicas) is refused rather than queued, so
     * a burst of revocations cannot park every request thread. Not for a Cluster, where the write's
     * node depends on its key (the settings refuse it there).
     *
     * @throws TokenStoreUnavailableException as {@link #call} does (the connection is then dropped,
     *     and the next call opens a new one to the current primary), or when the turn did not come
     */
    public <T> Acknowledged<T> callAcknowledged(Function<RedisClusterCommands<String, String>, T> write, int replicas,
            Duration timeout) {
        if (settings.cluster()) {
            throw new IllegalStateException("waiting for replicas is not supported with Redis Cluster");
        }
        Session current = session();
        try {
            if (!acknowledgedTurn.tryLock(settings.commandTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                throw new TokenStoreUnavailableException("token store unavailable: other revocations have been waiting for "
                        + "Redis replicas for longer than " + GoDuration.format(settings.commandTimeout()), null,
                        RedisFailure.Kind.TIMEOUT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TokenStoreUnavailableException("token store unavailable: interrupted while waiting to revoke", e);
        }
        try {
            long started = System.nanoTime();
            try {
                StatefulRedisConnection<String, String> connection = acknowledged;
                if (connection == null || !connection.isOpen()) {
                    connection = ((RedisClient) client).connect(StringCodec.UTF8, uri);
                    // WAIT holds the answer for up to its timeout, on top of the write itself.
                    connection.setTimeout(settings.commandTimeout().plus(timeout));
                    acknowledged = connection;
                }
                T value = write.apply(connection.sync());
                long count = connection.sync().waitForReplication(replicas, timeout.toMillis());
                answered(started);
                return new Acknowledged<>(value, count);
            } catch (RedisException e) {
                StatefulRedisConnection<String, String> broken = acknowledged;
                if (broken != null) {
                    broken.closeAsync();
                    acknowledged = null;
                }
                throw failed(current, e, started);
            }
        } finally {
            acknowledgedTurn.unlock();
        }
    }

    private Session session() {
        Session current = session;
        if (current == null) {
            RedisFailure why = connectFailure;
            count(why == null ? RedisFailure.Kind.UNREACHABLE : why.kind());
            throw new TokenStoreUnavailableException("token store unavailable: Redis "
                    + (why == null || why.kind() == RedisFailure.Kind.UNREACHABLE ? "cannot be reached yet" : why.detail()), null,
                    why == null ? RedisFailure.Kind.UNREACHABLE : why.kind());
        }
        if (circuit.get() == Circuit.OPEN) {
            count(RedisFailure.Kind.CIRCUIT_OPEN);
            throw new TokenStoreUnavailableException("token store unavailable: Redis did not answer within "
                    + GoDuration.format(settings.commandTimeout()) + "; failing fast until it answers again", null,
                    RedisFailure.Kind.CIRCUIT_OPEN);
        }
        return current;
    }

    private void answered(long startedNanos) {
        latency.record(System.nanoTime() - startedNanos);
        consecutiveTimeouts.set(0);
    }

    /** Counts, reacts (replace the connection, open the circuit) and makes the exception callers get. */
    private TokenStoreUnavailableException failed(Session on, RedisException e, long startedNanos) {
        RedisFailure failure = RedisFailure.of(e);
        count(failure.kind());
        switch (failure.kind()) {
            case TIMEOUT -> {
                if (consecutiveTimeouts.incrementAndGet() >= TIMEOUTS_TO_OPEN) {
                    stalled(on, TIMEOUTS_TO_OPEN + " commands in a row got no answer within "
                            + GoDuration.format(settings.commandTimeout()));
                }
            }
            case READ_ONLY -> replaceCommands(on, "the node answered READONLY (it is a replica now)");
            default -> consecutiveTimeouts.set(0);
        }
        if (failureWarnings.allow()) {
            LOG.warning(() -> "token store: Redis at " + settings.maskedUrl() + " failed a command (" + failure.detail()
                    + (failure.kind() == RedisFailure.Kind.UNREACHABLE ? ": " + describe(e) : "") + "); answering 503 and dropping usage records while it does (logged at most every "
                    + GoDuration.format(WARNING_INTERVAL) + ")");
        }
        String message = "token store unavailable: Redis " + (e instanceof RedisCommandTimeoutException
                ? "did not answer within " + GoDuration.format(settings.commandTimeout())
                : failure.kind() == RedisFailure.Kind.UNREACHABLE ? "cannot be reached" : failure.detail());
        return new TokenStoreUnavailableException(message, e, failure.kind());
    }

    private void count(RedisFailure.Kind kind) {
        failures.computeIfAbsent(kind, k -> new LongAdder()).increment();
    }

    /** Opens the circuit and replaces the command connection: the node (or the path to it) stopped answering. */
    private void stalled(Session on, String why) {
        if (circuit.compareAndSet(Circuit.CLOSED, Circuit.OPEN)) {
            LOG.warning(() -> "token store: Redis at " + settings.maskedUrl() + " stopped answering (" + why
                    + "); failing fast and reconnecting");
        }
        replaceCommands(on, why);
    }

    /** PINGs both connections; run every {@link #PING_INTERVAL} on a Lettuce thread. */
    private void ping() {
        if (closed) {
            return;
        }
        Session current = session;
        if (current != null && pinging.compareAndSet(false, true)) {
            long started = System.nanoTime();
            current.async().ping().toCompletableFuture().orTimeout(PING_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                    .whenComplete((pong, failure) -> {
                        pinging.set(false);
                        if (failure == null) {
                            latency.record(System.nanoTime() - started);
                            missedPings.set(0);
                            consecutiveTimeouts.set(0);
                            if (circuit.compareAndSet(Circuit.OPEN, Circuit.CLOSED)) {
                                LOG.info(() -> "token store: Redis at " + settings.maskedUrl() + " answers again");
                            }
                            if (!settings.cluster() && pingsSinceIdentity.getAndIncrement() % IDENTITY_EVERY_PINGS == 0) {
                                checkIdentity(current);
                            }
                        } else if (!isSilence(failure) && RedisFailure.of(failure).kind() == RedisFailure.Kind.READ_ONLY) {
                            replaceCommands(current, "the node answered READONLY");
                        } else if (missedPings.incrementAndGet() >= PINGS_MISSED_TO_OPEN) {
                            // Silence, or a connection that refuses even a PING (never connected to the
                            // node it was given, e.g. a master that froze while the link was being made).
                            missedPings.set(0);
                            stalled(current, PINGS_MISSED_TO_OPEN + " pings in a row got no answer within "
                                    + GoDuration.format(PING_DEADLINE));
                        }
                    });
        }
        StatefulRedisPubSubConnection<String, String> listening = subscription;
        if (listening != null && pingingSubscription.compareAndSet(false, true)) {
            listening.async().ping().toCompletableFuture().orTimeout(PING_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                    .whenComplete((pong, failure) -> {
                        pingingSubscription.set(false);
                        if (failure == null) {
                            missedSubscriptionPings.set(0);
                        } else if (missedSubscriptionPings.incrementAndGet() >= PINGS_MISSED_TO_OPEN) {
                            missedSubscriptionPings.set(0);
                            replaceSubscription(listening);
                        }
                    });
        }
    }

    /** Asks which node answers (its run_id); counts a failover when it is another than before. */
    private void checkIdentity(Session current) {
        current.async().info("server").thenAccept(info -> RedisReadiness.field(info, "run_id").ifPresent(runId -> {
            String before = primaryRunId.getAndSet(runId);
            if (before != null && !before.equals(runId)) {
                failovers.increment();
                LOG.info(() -> "token store: another Redis node answers now (a failover or a restart)");
            }
        }));
    }

    private static boolean isSilence(Throwable failure) {
        Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        return cause instanceof TimeoutException || cause instanceof RedisCommandTimeoutException;
    }

    /**
     * Replaces the command connection {@code stale} with a new one, found anew (Sentinel asked again,
     * the name resolved again); the cluster client refreshes its topology instead. At most one
     * replacement at a time; a failed attempt is retried every {@link #RETRY_DELAY}.
     */
    private void replaceCommands(Session stale, String why) {
        if (closed || stale == null || stale != session) {
            return;
        }
        if (client instanceof RedisClusterClient cluster) {
            cluster.refreshPartitionsAsync();
            return;
        }
        if (!replacing.compareAndSet(false, true)) {
            return;
        }
        LOG.warning(() -> "token store: leaving the Redis connection (" + why + "); connecting to the current primary");
        onMaybeMissed.run();
        CompletableFuture<StatefulConnection<String, String>> opening = openCommands();
        // A node that accepts the TCP connection but never answers the handshake (frozen, or the
        // master Sentinel still names while it fails over) is given up on after PING_DEADLINE, not
        // the whole command timeout: the next attempt may find the new primary.
        opening.orTimeout(PING_DEADLINE.toMillis(), TimeUnit.MILLISECONDS).whenComplete((fresh, failure) -> {
            if (failure != null || closed) {
                replacing.set(false);
                opening.thenAccept(StatefulConnection::closeAsync);
                if (!closed) {
                    resources.eventExecutorGroup().schedule(() -> replaceCommands(stale, why),
                            REPLACE_RETRY_DELAY.toMillis(), TimeUnit.MILLISECONDS);
                }
                return;
            }
            session = Session.of(fresh);
            pingsSinceIdentity.set(1);
            if (!settings.cluster()) {
                checkIdentity(session);
            }
            consecutiveTimeouts.set(0);
            missedPings.set(0);
            circuit.set(Circuit.CLOSED);
            replacing.set(false);
            stale.connection().closeAsync();
            LOG.info(() -> "token store: connected to the current Redis primary at " + settings.maskedUrl());
        });
    }

    /** Replaces a silent subscription: nothing cached may be trusted until the new one is confirmed. */
    private void replaceSubscription(StatefulRedisPubSubConnection<String, String> stale) {
        if (closed || stale != subscription || !replacingSubscription.compareAndSet(false, true)) {
            return;
        }
        LOG.warning(() -> "token store: the revocation subscription stopped answering; subscribing again");
        subscribed = false;
        onMaybeMissed.run();
        subscription = null;
        stale.closeAsync();
        connectSubscription().whenComplete((ignored, failure) -> replacingSubscription.set(false));
    }

    /** Whether revocation messages reach this instance right now, so cached validations can be trusted. */
    boolean isSubscribed() {
        return subscribed;
    }

    /** The circuit's state, for metrics and readiness. */
    public Circuit circuit() {
        return circuit.get();
    }

    /** Whether there is a command connection and the circuit lets commands through. */
    public boolean isConnected() {
        Session current = session;
        return current != null && current.connection().isOpen() && circuit.get() == Circuit.CLOSED;
    }

    /** Whether the subscription to the revocation channel is confirmed. */
    public boolean isSubscribedNow() {
        return subscribed;
    }

    /** Failures since start, by kind. */
    public long failures(RedisFailure.Kind kind) {
        LongAdder count = failures.get(kind);
        return count == null ? 0 : count.sum();
    }

    /** How often the link moved to another primary since start (a failover seen). */
    public long failoversSeen() {
        return failovers.sum();
    }

    /** Answered commands and how long they took. */
    public LinkTimer latency() {
        return latency;
    }

    private CompletableFuture<StatefulConnection<String, String>> openCommands() {
        if (client instanceof RedisClusterClient cluster) {
            // The cluster client connects only once it knows the topology; getPartitions() loads it
            // (blocking, so not on a Lettuce thread) and fails while no seed answers.
            // A thread of its own: the common pool has one thread on a small machine, and this blocks.
            return CompletableFuture.runAsync(cluster::getPartitions, job -> {
                Thread thread = new Thread(job, "creddy-redis-cluster-topology");
                thread.setDaemon(true);
                thread.start();
            })
                    .thenCompose(loaded -> cluster.connectAsync(StringCodec.UTF8))
                    .thenApply(connection -> (StatefulConnection<String, String>) connection);
        }
        RedisClient single = (RedisClient) client;
        // With a Sentinel URI, Lettuce asks the Sentinels for the current master at every connect and
        // reconnect. Its master-replica connection (which follows +switch-master itself) was tried and
        // left: when the master froze while it was being made, it kept a topology without a master
        // ("Master is currently unknown") while answering PING from the replica, so no check here
        // could tell. A plain connection answers for one node only, and is replaced on READONLY or silence.
        return single.connectAsync(StringCodec.UTF8, uri).toCompletableFuture()
                .thenApply(connection -> (StatefulConnection<String, String>) connection);
    }

    private CompletableFuture<?> connectCommands() {
        return openCommands().whenComplete((connection, failure) -> {
            if (failure != null) {
                RedisFailure why = RedisFailure.of(failure);
                connectFailure = why;
                count(why.kind());
                if (failureWarnings.allow()) {
                    LOG.warning(() -> "token store: cannot connect to Redis at " + settings.maskedUrl() + " (" + why.detail()
                            + (why.kind() == RedisFailure.Kind.UNREACHABLE ? ": " + describe(failure) : "")
                            + "); trying again every " + GoDuration.format(RETRY_DELAY));
                }
                retryLater(this::connectCommands);
            } else if (closed) {
                connection.closeAsync();
            } else {
                session = Session.of(connection);
                connectFailure = null;
                if (!settings.cluster()) {
                    checkIdentity(session);
                }
                LOG.info(() -> "token store: connected to Redis at " + settings.maskedUrl() + " as " + clientName);
            }
        });
    }

    private CompletableFuture<?> connectSubscription() {
        CompletableFuture<StatefulRedisPubSubConnection<String, String>> opening = client instanceof RedisClusterClient cluster
                ? cluster.connectPubSubAsync(StringCodec.UTF8).thenApply(c -> (StatefulRedisPubSubConnection<String, String>) c)
                : ((RedisClient) client).connectPubSubAsync(StringCodec.UTF8, uri).toCompletableFuture();
        return opening.thenCompose(connection -> {
            if (closed) {
                connection.closeAsync();
                return CompletableFuture.completedFuture(null);
            }
            connection.addListener(new RedisPubSubAdapter<String, String>() {
                @Override
                public void message(String from, String message) {
                    if (channel.equals(from)) {
                        onMessage.accept(message);
                    }
                }

                @Override
                public void subscribed(String to, long count) {
                    if (channel.equals(to)) {
                        // Also after Lettuce subscribed again on a new connection. What was published in
                        // between is lost, but nothing cached from before survives: the disconnect
                        // emptied the cache, and nothing is cached while unsubscribed.
                        subscribed = true;
                    }
                }
            });
            subscription = connection;
            return connection.async().subscribe(channel).toCompletableFuture();
        }).whenComplete((ignored, failure) -> {
            if (failure == null) {
                // The reply to SUBSCRIBE is the confirmation; the listener may hear of it a moment later,
                // and start() should not return before cached validations can be trusted.
                subscribed = subscription != null;
            } else {
                StatefulRedisPubSubConnection<String, String> half = subscription;
                subscription = null;
                if (half != null) {
                    half.closeAsync();
                }
                retryLater(this::connectSubscription);
            }
        });
    }

    /** Connection events of every connection of the client: lost, back, and at which address. */
    private final class StateListener implements RedisConnectionStateListener {

        @Override
        public void onRedisConnected(RedisChannelHandler<?, ?> handler, java.net.SocketAddress address) {
            Session current = session;
            // Lettuce reconnected the command connection by itself (and, with Sentinels, asked them
            // for the master again): is it another node now?
            if (current != null && handler == current.connection() && !settings.cluster()) {
                resources.eventExecutorGroup().schedule(() -> checkIdentity(current), 100, TimeUnit.MILLISECONDS);
            }
        }

        @Override
        public void onRedisDisconnected(RedisChannelHandler<?, ?> handler) {
            if (handler == subscription) {
                subscribed = false;
            }
            // Nothing cached may be trusted while Redis cannot be asked: fail closed at once.
            onMaybeMissed.run();
            if (!closed && failureWarnings.allow()) {
                LOG.warning(() -> "token store: lost a connection to Redis at " + settings.maskedUrl()
                        + "; requests that need a token get 503 until it returns");
            }
        }
    }

    private void retryLater(Runnable connect) {
        if (!closed) {
            resources.eventExecutorGroup().schedule(() -> {
                if (!closed) {
                    connect.run();
                }
            }, RETRY_DELAY.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /**
     * A failure's kind and Lettuce's message, with the root cause's (where Redis says, e.g., that the
     * password is wrong). These messages name neither keys nor values nor passwords.
     */
    static String describe(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String described = failure.getClass().getSimpleName() + (failure.getMessage() == null ? "" : ": " + failure.getMessage());
        String withRoot = root == failure ? described
                : described + " (" + root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage()) + ")";
        // Lettuce's messages quote node URIs; should one ever carry user info, it is masked here.
        return withRoot.replaceAll("://[^@/\\s,\\]]*@", "://****@");
    }

    @Override
    public void close() {
        closed = true;
        subscribed = false;
        if (pinger != null) {
            pinger.cancel(false);
        }
        Session current = session;
        StatefulRedisPubSubConnection<String, String> pubSub = subscription;
        try {
            if (pubSub != null) {
                pubSub.close();
            }
            if (current != null) {
                current.connection().close();
            }
            // Not waiting for the turn: a revocation still waiting for replicas fails, as at any shutdown.
            StatefulRedisConnection<String, String> waiting = acknowledged;
            if (waiting != null) {
                waiting.close();
            }
            if (client != null) {
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "token store: closing the Redis connections: {0}", describe(e));
        } finally {
            if (resources != null) {
                try {
                    resources.shutdown(0, 2, TimeUnit.SECONDS).get(3, TimeUnit.SECONDS);
                } catch (ExecutionException | TimeoutException e) {
                    LOG.log(Level.WARNING, "token store: stopping the Redis client threads: {0}", describe(e));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
