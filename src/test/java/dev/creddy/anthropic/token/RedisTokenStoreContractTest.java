package dev.creddy.anthropic.token;

import dev.creddy.anthropic.config.RedisSettings;
import dev.creddy.anthropic.it.support.RedisServer;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The registry contract, on a real redis-server, with the validation cache on (its default TTL). */
class RedisTokenStoreContractTest extends TokenRegistryContract {

    private static RedisServer redis;

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.start();
    }

    @AfterAll
    static void stopRedis() throws InterruptedException {
        if (redis != null) {
            redis.close();
        }
    }

    static RedisSettings settings(RedisServer server, Duration cacheTtl) {
        return new RedisSettings(URI.create(server.url()), Optional.empty(), Duration.ofSeconds(2), cacheTtl);
    }

    @Override
    protected TokenRegistry open(Clock clock) throws Exception {
        redis.call("FLUSHALL");
        RedisTokenStore store = new RedisTokenStore(settings(redis, Duration.ofSeconds(1)), new TokenSecrets(), clock);
        store.start();
        return store;
    }

    @Override
    protected void close(TokenRegistry registry) {
        ((RedisTokenStore) registry).close();
    }
}
