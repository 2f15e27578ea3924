package dev.creddy.anthropic.token;

import dev.creddy.anthropic.config.RedisSettings;
import dev.creddy.anthropic.config.RedisTls;
import dev.creddy.anthropic.it.support.RedisCluster;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Issue 16: the registry contract on a real three-master Redis Cluster (every script's keys in one slot). */
class RedisClusterTokenStoreContractTest extends TokenRegistryContract {

    @RegisterExtension
    static final RedisCluster CLUSTER = RedisCluster.start();

    static RedisSettings settings() {
        return new RedisSettings(URI.create(CLUSTER.url()), Optional.empty(), Duration.ofSeconds(2), Duration.ofSeconds(1),
                Optional.empty(), Optional.empty(), RedisSettings.DEFAULT_KEY_PREFIX, true, RedisTls.DEFAULT);
    }

    @Override
    protected TokenRegistry open(Clock clock) throws Exception {
        CLUSTER.flushAll();
        RedisTokenStore store = new RedisTokenStore(settings(), new TokenSecrets(), clock);
        store.start();
        awaitReady(store);
        return store;
    }

    /** A fresh Cluster's first connection can take longer than start() waits (topology, then connections). */
    static void awaitReady(dev.creddy.anthropic.token.TokenRegistry store) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (store.unavailableReason().isPresent()) {
            if (System.nanoTime() - end > 0) {
                throw new AssertionError("the store did not get ready: " + store.unavailableReason().get());
            }
            Thread.sleep(50);
        }
    }

    @Override
    protected void close(TokenRegistry registry) {
        ((RedisTokenStore) registry).close();
    }
}
