package dev.creddy.anthropic.token;

import dev.creddy.anthropic.config.GoDuration;
import dev.creddy.anthropic.config.RedisSettings;
import dev.creddy.anthropic.config.Secret;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import io.netty.util.internal.logging.InternalLoggerFactory;
import io.netty.util.internal.logging.Slf4JLoggerFactory;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * This instance's two connections to Redis: one shared connection for commands (Lettuce multiplexes
 * every thread's commands over it) and one subscribed to the revocation channel. Lettuce reconnects
 * both by itself and subscribes again; this class also keeps trying when Redis is not there at
 * start-up, so the proxy never needs a restart to find it.
 *
 * <p>Commands fail fast instead of queueing while the connection is down, and never wait longer than
 * the command timeout, so no request thread is held by an outage. Whenever revocation messages may
 * be missed (a connection dropped), {@code onMaybeMissed} runs; {@link #isSubscribed()} is false
 * until the subscription is confirmed again.
 *
 * <p>Every command goes through {@link #call} or {@link #callAsync}, which turn any failure to get an
 * answer into {@link TokenStoreUnavailableException}: the token store and the usage ledger share
 * this connection and this one way of failing. The store that created the link starts and closes it.
 *
 * <p>Thread-safe. {@link #start()} and {@link #close()} are called once each; nothing is opened in
 * the constructor.
 */
public final class RedisLink implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(RedisLink.class.getName());
    /** How soon to try again when Redis is not there at start-up; Lettuce's own reconnects use the same cap. */
    private static final Duration RETRY_DELAY = Duration.ofSeconds(1);
    /** Commands waiting for their reply at once; a bound on memory if Redis stalls under load. */
    private static final int REQUEST_QUEUE_SIZE = 10_000;
    private static final Duration WARNING_INTERVAL = Duration.ofSeconds(10);

    private final RedisSettings settings;
    private final String channel;
    private final Consumer<String> onMessage;
    private final Runnable onMaybeMissed;
    private final LogThrottle failureWarnings = new LogThrottle(WARNING_INTERVAL);

    private ClientResources resources;
    private RedisClient client;
    private RedisURI uri;
    private volatile StatefulRedisConnection<String, String> commands;
    private volatile StatefulRedisPubSubConnection<String, String> subscription;
    private volatile boolean subscribed;
    private volatile boolean closed;

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
        uri = redisUri(settings);
        resources = DefaultClientResources.builder()
                // Two connections need little: the defaults (one thread per core, at least three) are for busy clients.
                .ioThreadPoolSize(2)
                .computationThreadPoolSize(2)
                .reconnectDelay(Delay.exponential(Duration.ofMillis(50), RETRY_DELAY, 2, TimeUnit.MILLISECONDS))
                .build();
        client = RedisClient.create(resources);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                // Fail closed at once while disconnected: a queued command would hold its request thread.
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .requestQueueSize(REQUEST_QUEUE_SIZE)
                .socketOptions(SocketOptions.builder().connectTimeout(settings.commandTimeout()).keepAlive(true).build())
                .timeoutOptions(TimeoutOptions.enabled(settings.commandTimeout()))
                .build());
        CompletableFuture<?> both = CompletableFuture.allOf(connectCommands(), connectSubscription());
        try {
            both.get(settings.commandTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            LOG.warning(() -> "token store: Redis at " + settings.maskedUrl() + " is not reachable yet ("
                    + describe(e instanceof ExecutionException ? e.getCause() : e)
                    + "); requests that need a token get 503 until it is, and the proxy keeps trying");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Runs one command on the shared connection and waits for its answer, at most the command timeout.
     *
     * @throws TokenStoreUnavailableException when there is no answer: no connection yet, the
     *     connection is down, Redis failed the command or did not answer in time
     */
    public <T> T call(Function<RedisCommands<String, String>, T> command) {
        StatefulRedisConnection<String, String> connection = connection();
        try {
            return command.apply(connection.sync());
        } catch (RedisException e) {
            throw unavailable(e);
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
    public <T> CompletionStage<T> callAsync(Function<RedisAsyncCommands<String, String>, RedisFuture<T>> command) {
        CompletableFuture<T> answer = new CompletableFuture<>();
        try {
            command.apply(connection().async()).whenComplete((value, failure) -> {
                if (failure == null) {
                    answer.complete(value);
                } else {
                    answer.completeExceptionally(failure instanceof RedisException redis ? unavailable(redis)
                            : failure instanceof TokenStoreUnavailableException ? failure : unavailable(new RedisException(failure)));
                }
            });
        } catch (TokenStoreUnavailableException e) {
            answer.completeExceptionally(e);
        } catch (RedisException e) {
            answer.completeExceptionally(unavailable(e));
        }
        return answer;
    }

    private StatefulRedisConnection<String, String> connection() {
        StatefulRedisConnection<String, String> connection = commands;
        if (connection == null) {
            throw new TokenStoreUnavailableException("token store unavailable: Redis cannot be reached yet", null);
        }
        return connection;
    }

    /** The failure callers get, logged at most every {@link #WARNING_INTERVAL}; it names neither keys nor values. */
    private TokenStoreUnavailableException unavailable(RedisException e) {
        if (failureWarnings.allow()) {
            LOG.warning(() -> "token store: Redis at " + settings.maskedUrl() + " failed a command (" + describe(e)
                    + "); answering 503 and dropping usage records while it does (logged at most every "
                    + GoDuration.format(WARNING_INTERVAL) + ")");
        }
        return new TokenStoreUnavailableException("token store unavailable: Redis "
                + (e instanceof RedisCommandTimeoutException
                        ? "did not answer within " + GoDuration.format(settings.commandTimeout())
                        : "cannot be reached"), e);
    }

    /** Whether revocation messages reach this instance right now, so cached validations can be trusted. */
    boolean isSubscribed() {
        return subscribed;
    }

    private CompletableFuture<?> connectCommands() {
        return client.connectAsync(StringCodec.UTF8, uri).toCompletableFuture().whenComplete((connection, failure) -> {
            if (failure != null) {
                retryLater(this::connectCommands);
            } else if (closed) {
                connection.closeAsync();
            } else {
                connection.addListener(new RedisConnectionStateListener() {
                    @Override
                    public void onRedisConnected(RedisChannelHandler<?, ?> handler, SocketAddress address) {
                        LOG.info(() -> "token store: reconnected to Redis at " + settings.maskedUrl());
                    }

                    @Override
                    public void onRedisDisconnected(RedisChannelHandler<?, ?> handler) {
                        // Nothing cached may be trusted while Redis cannot be asked: fail closed at once.
                        onMaybeMissed.run();
                        if (!closed) {
                            LOG.warning(() -> "token store: lost the connection to Redis at " + settings.maskedUrl()
                                    + "; requests that need a token get 503 until it returns");
                        }
                    }
                });
                commands = connection;
                LOG.info(() -> "token store: connected to Redis at " + settings.maskedUrl());
            }
        });
    }

    private CompletableFuture<?> connectSubscription() {
        return client.connectPubSubAsync(StringCodec.UTF8, uri).toCompletableFuture().thenCompose(connection -> {
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
            connection.addListener(new RedisConnectionStateListener() {
                @Override
                public void onRedisDisconnected(RedisChannelHandler<?, ?> handler) {
                    subscribed = false;
                    onMaybeMissed.run();
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

    private void retryLater(Runnable connect) {
        if (!closed) {
            resources.eventExecutorGroup().schedule(() -> {
                if (!closed) {
                    connect.run();
                }
            }, RETRY_DELAY.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private static RedisURI redisUri(RedisSettings settings) {
        RedisURI base = RedisURI.create(settings.url());
        RedisURI.Builder builder = RedisURI.builder(base)
                .withTimeout(settings.commandTimeout())
                .withClientName("creddy-anthropic");
        if (settings.password().isPresent()) {
            char[] password = settings.password().map(Secret::reveal).orElseThrow().toCharArray();
            if (base.getUsername() != null) {
                builder.withAuthentication(base.getUsername(), password);
            } else {
                builder.withPassword(password);
            }
        }
        return builder.build();
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
        return root == failure ? described
                : described + " (" + root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage()) + ")";
    }

    @Override
    public void close() {
        closed = true;
        subscribed = false;
        StatefulRedisConnection<String, String> connection = commands;
        StatefulRedisPubSubConnection<String, String> pubSub = subscription;
        try {
            if (pubSub != null) {
                pubSub.close();
            }
            if (connection != null) {
                connection.close();
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
