package dev.creddy.anthropic.token;

import dev.creddy.anthropic.config.RedisSettings;
import dev.creddy.anthropic.it.support.RedisServer;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The registry contract, on a real redis-server, with the validation cache on (its default TTL). */
class RedisTokenStoreContractTest extends TokenRegistryContract {

    @RegisterExtension
    static final RedisServer REDIS = RedisServer.start();

    @Override
    protected TokenRegistry open(Clock clock) throws Exception {
        REDIS.call("FLUSHALL");
        RedisSettings settings = new RedisSettings(URI.create(REDIS.url()), Optional.empty(), Duration.ofSeconds(2),
                Duration.ofSeconds(1));
        RedisTokenStore store = new RedisTokenStore(settings, new TokenSecrets(), clock);
        store.start();
        return store;
    }

    @Override
    protected void close(TokenRegistry registry) {
        ((RedisTokenStore) registry).close();
    }
}
