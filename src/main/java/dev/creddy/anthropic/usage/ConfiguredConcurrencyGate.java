package dev.creddy.anthropic.usage;

import dev.creddy.anthropic.config.Settings;
import dev.creddy.anthropic.token.ConfiguredTokenRegistry;
import dev.creddy.anthropic.token.TokenRecord;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.BeforeDestroyed;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;

/**
 * The application's {@link ConcurrencyGate} ({@code @Inject ConcurrencyGate}): in memory or in Redis,
 * as the token store is, created as the application starts, after the token store (whose Redis
 * connection it shares). Thread-safe: the gate is set once at start-up.
 */
@ApplicationScoped
public class ConfiguredConcurrencyGate implements ConcurrencyGate {

    private volatile ConcurrencyGate gate;

    void start(@Observes @Priority(Interceptor.Priority.APPLICATION + 650) @Initialized(ApplicationScoped.class) Object started,
            Settings settings, ConfiguredTokenRegistry registry) {
        gate = switch (settings.tokenStore()) {
            case MEMORY -> new MemoryConcurrencyGate();
            case REDIS -> new RedisConcurrencyGate(registry.redisLink().orElseThrow(), settings.enforcement().concurrencyLease());
        };
    }

    /** Stops renewing leases before the token store closes the connection they travel on. */
    void stop(@Observes @BeforeDestroyed(ApplicationScoped.class) Object stopping) {
        if (gate instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                // Nothing is left to do: the leases run out in Redis.
            }
        }
    }

    private ConcurrencyGate gate() {
        ConcurrencyGate started = gate;
        if (started == null) {
            throw new IllegalStateException("the concurrency gate was asked for before the application started");
        }
        return started;
    }

    @Override
    public Entry enter(TokenRecord token, long agentCap) {
        return gate().enter(token, agentCap);
    }

    @Override
    public long inUse() {
        ConcurrencyGate started = gate;
        return started == null ? 0 : started.inUse();
    }
}
