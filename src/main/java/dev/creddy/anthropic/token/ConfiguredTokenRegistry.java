package dev.creddy.anthropic.token;

import dev.creddy.anthropic.config.Settings;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Typed;
import jakarta.inject.Inject;
import jakarta.interceptor.Interceptor;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The application's {@link TokenRegistry}: the one store the settings ask for ({@code token-store}),
 * created as the application starts and closed when it stops. Only the chosen store is created, so
 * the other starts no thread and opens no connection.
 *
 * <p>A managed bean that delegates, rather than a producer, so that whatever measures the registry
 * wraps it the same way whichever store is behind it. It is not itself the application's
 * {@code TokenRegistry} bean ({@link Typed}): the observe package produces that, measured, around it.
 * Thread-safe: the store is set once at start-up.
 */
@ApplicationScoped
@Typed(ConfiguredTokenRegistry.class)
public class ConfiguredTokenRegistry implements TokenRegistry {

    private static final Logger LOG = Logger.getLogger(ConfiguredTokenRegistry.class.getName());

    @Inject
    Event<TokenExpired> expired;

    private volatile TokenRegistry store;
    private final List<Consumer<TokenId>> revocationListeners = new CopyOnWriteArrayList<>();

    /**
     * Starts the store once the settings exist: they are built by an observer of the same event with
     * the default priority, which runs before this one.
     */
    void start(@Observes @Priority(Interceptor.Priority.APPLICATION + 600) @Initialized(ApplicationScoped.class) Object started,
            Settings settings) {
        store = switch (settings.tokenStore()) {
            case MEMORY -> {
                MemoryTokenStore memory = new MemoryTokenStore(new TokenSecrets(), Clock.systemUTC(), expired::fire);
                memory.start();
                yield memory;
            }
            case REDIS -> {
                RedisTokenStore redis = new RedisTokenStore(settings.redis().orElseThrow(), new TokenSecrets(), Clock.systemUTC(),
                        this::revoked);
                redis.start();
                yield redis;
            }
        };
        LOG.info(() -> "token store: " + settings.tokenStore().key());
    }

    private TokenRegistry store() {
        TokenRegistry started = store;
        if (started == null) {
            throw new IllegalStateException("the token registry was asked for before the application started");
        }
        return started;
    }

    @Override
    public IssuedToken issue(TokenGrant grant) {
        return store().issue(grant);
    }

    @Override
    public Optional<TokenRecord> validate(String presentedSecret) {
        return store().validate(presentedSecret);
    }

    @Override
    public boolean revoke(TokenId id) {
        boolean revoked = store().revoke(id);
        if (revoked) {
            // Here at once, whatever the store; with Redis every instance also hears it on the channel.
            revoked(id);
        }
        return revoked;
    }

    /**
     * Tells {@code listener} of every revocation: made here, and with Redis made on any instance. It
     * is called on the revoking thread or a Lettuce thread, so it must be quick and never throw.
     * Running exchanges listen, so that a revoked token's streams end.
     */
    public void onRevocation(Consumer<TokenId> listener) {
        revocationListeners.add(listener);
    }

    /**
     * Names the tokens whose exchanges run here, so that with Redis a revocation whose message this
     * instance may have missed still reaches them (see {@link RedisTokenStore#watchRunning}).
     */
    public void watchRunning(Supplier<Set<TokenId>> running) {
        if (store() instanceof RedisTokenStore redis) {
            redis.watchRunning(running);
        }
    }

    private void revoked(TokenId id) {
        for (Consumer<TokenId> listener : revocationListeners) {
            try {
                listener.accept(id);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "token store: a revocation listener failed: {0}", e.getClass().getName());
            }
        }
    }

    @Override
    public List<TokenRecord> revokeSubject(String subject, Optional<String> issuer) {
        return store().revokeSubject(subject, issuer);
    }

    @Override
    public List<TokenRecord> list(int limit, Optional<TokenId> after) {
        return store().list(limit, after);
    }

    @Override
    public long activeCount() {
        return store().activeCount();
    }

    @Override
    public Optional<String> unavailableReason() {
        return store().unavailableReason();
    }

    /**
     * The store's connection to Redis, when the store is Redis: the usage ledger counts over it, so
     * that an instance has one connection and one way of failing.
     */
    public Optional<RedisLink> redisLink() {
        return store() instanceof RedisTokenStore redis ? Optional.of(redis.link()) : Optional.empty();
    }

    /** The Redis store itself, when the store is Redis: metrics read its validation cache's counts. */
    public Optional<RedisTokenStore> redisStore() {
        TokenRegistry started = store;
        return started instanceof RedisTokenStore redis ? Optional.of(redis) : Optional.empty();
    }

    /** The store's key layout, when the store is Redis: the sign-in store keeps its keys under the same prefix. */
    public Optional<RedisKeys> redisKeys() {
        return store() instanceof RedisTokenStore redis ? Optional.of(redis.keys()) : Optional.empty();
    }

    @PreDestroy
    void stop() {
        if (store instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                LOG.log(Level.WARNING, "token store: closing failed: {0}", e.getClass().getName());
            }
        }
    }
}
