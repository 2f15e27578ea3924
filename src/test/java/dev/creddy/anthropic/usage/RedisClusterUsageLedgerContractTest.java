package dev.creddy.anthropic.usage;

import dev.creddy.anthropic.config.RedisSettings;
import dev.creddy.anthropic.config.RedisTls;
import dev.creddy.anthropic.it.support.RedisCluster;
import dev.creddy.anthropic.token.RedisTokenStore;
import dev.creddy.anthropic.token.TokenSecrets;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Issue 16: the usage ledger contract on a real three-master Redis Cluster, over a token store's connection. */
class RedisClusterUsageLedgerContractTest extends UsageLedgerContract {

    @RegisterExtension
    static final RedisCluster CLUSTER = RedisCluster.start();

    private RedisTokenStore store;

    @Override
    protected UsageLedger open() throws Exception {
        CLUSTER.flushAll();
        store = new RedisTokenStore(new RedisSettings(URI.create(CLUSTER.url()), Optional.empty(), Duration.ofSeconds(2),
                Duration.ofSeconds(1), Optional.empty(), Optional.empty(), RedisSettings.DEFAULT_KEY_PREFIX, true,
                RedisTls.DEFAULT), new TokenSecrets(), Clock.systemUTC());
        store.start();
        awaitReady(store);
        return new RedisUsageLedger(store.link(), RETENTION);
    }

    @Override
    protected void settle(UsageLedger ledger) throws Exception {
        ((RedisUsageLedger) ledger).awaitRecords(Duration.ofSeconds(10));
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
    protected void close(UsageLedger ledger) {
        ((RedisUsageLedger) ledger).close();
        store.close();
    }
}
