package dev.creddy.anthropic.usage;

import dev.creddy.anthropic.config.RedisSettings;
import dev.creddy.anthropic.it.support.RedisServer;
import dev.creddy.anthropic.token.RedisTokenStore;
import dev.creddy.anthropic.token.TokenSecrets;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The usage ledger contract, on a real redis-server, over a token store's connection. */
class RedisUsageLedgerContractTest extends UsageLedgerContract {

    @RegisterExtension
    static final RedisServer REDIS = RedisServer.start();

    private RedisTokenStore store;

    @Override
    protected UsageLedger open() throws Exception {
        REDIS.call("FLUSHALL");
        store = new RedisTokenStore(new RedisSettings(URI.create(REDIS.url()), Optional.empty(), Duration.ofSeconds(2),
                Duration.ofSeconds(1)), new TokenSecrets(), Clock.systemUTC());
        store.start();
        return new RedisUsageLedger(store.link(), RETENTION);
    }

    @Override
    protected void settle(UsageLedger ledger) throws Exception {
        ((RedisUsageLedger) ledger).awaitRecords(Duration.ofSeconds(10));
    }

    @Override
    protected void close(UsageLedger ledger) {
        ((RedisUsageLedger) ledger).close();
        store.close();
    }
}
