package dev.creddy.anthropic.token;

import dev.creddy.anthropic.config.Settings;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import jakarta.interceptor.Interceptor;
import java.time.Clock;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Creates the one {@link TokenRegistry} the settings ask for ({@code token-store}) as the application
 * starts, and closes it when it stops. Only the chosen store is created, so the other starts no
 * thread and opens no connection. Thread-safe.
 */
@ApplicationScoped
public class TokenRegistryProducer {

    private static final Logger LOG = Logger.getLogger(TokenRegistryProducer.class.getName());

    private volatile TokenRegistry registry;

    /**
     * Starts the store once the settings exist: they are built by an observer of the same event with
     * the default priority, which runs before this one.
     */
    void start(@Observes @Priority(Interceptor.Priority.APPLICATION + 600) @Initialized(ApplicationScoped.class) Object started,
            Settings settings) {
        registry = switch (settings.tokenStore()) {
            case MEMORY -> {
                MemoryTokenStore store = new MemoryTokenStore(new TokenSecrets(), Clock.systemUTC());
                store.start();
                yield store;
            }
            case REDIS -> {
                RedisTokenStore store = new RedisTokenStore(settings.redis().orElseThrow(), new TokenSecrets(), Clock.systemUTC());
                store.start();
                yield store;
            }
        };
        LOG.info(() -> "token store: " + settings.tokenStore().key());
    }

    @Produces
    @Singleton
    TokenRegistry registry() {
        TokenRegistry started = registry;
        if (started == null) {
            throw new IllegalStateException("the token registry was asked for before the application started");
        }
        return started;
    }

    @PreDestroy
    void stop() {
        if (registry instanceof AutoCloseable store) {
            try {
                store.close();
            } catch (Exception e) {
                LOG.log(Level.WARNING, "token store: closing failed: {0}", e.getClass().getName());
            }
        }
    }
}
