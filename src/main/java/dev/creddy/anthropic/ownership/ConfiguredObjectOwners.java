package dev.creddy.anthropic.ownership;

import dev.creddy.anthropic.config.Settings;
import dev.creddy.anthropic.token.ConfiguredTokenRegistry;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;
import java.time.Clock;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * The application's {@link ObjectOwners} ({@code @Inject ObjectOwners}): in memory with the memory
 * token store, in Redis over the token store's connection with the Redis one, chosen as the
 * application starts. Thread-safe: the store is set once at start-up.
 */
@ApplicationScoped
public class ConfiguredObjectOwners implements ObjectOwners {

    private volatile ObjectOwners owners;

    /** Runs after the token registry has started (its observer has a lower priority), so its connection is there. */
    void start(@Observes @Priority(Interceptor.Priority.APPLICATION + 660) @Initialized(ApplicationScoped.class) Object started,
            Settings settings, ConfiguredTokenRegistry registry) {
        owners = switch (settings.tokenStore()) {
            case MEMORY -> new MemoryObjectOwners(Clock.systemUTC());
            case REDIS -> new RedisObjectOwners(registry.redisLink().orElseThrow());
        };
    }

    private ObjectOwners owners() {
        ObjectOwners started = owners;
        if (started == null) {
            throw new IllegalStateException("the object owners were asked for before the application started");
        }
        return started;
    }

    @Override
    public CompletionStage<Void> record(ObjectKind kind, String id, String owner) {
        return owners().record(kind, id, owner);
    }

    @Override
    public Optional<String> ownerOf(ObjectKind kind, String id) {
        return owners().ownerOf(kind, id);
    }

    @Override
    public CompletionStage<Map<String, String>> ownersOf(ObjectKind kind, Collection<String> ids) {
        return owners().ownersOf(kind, ids);
    }

    @Override
    public CompletionStage<Void> forget(ObjectKind kind, String id) {
        return owners().forget(kind, id);
    }
}
