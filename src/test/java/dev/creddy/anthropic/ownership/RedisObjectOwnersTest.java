package dev.creddy.anthropic.ownership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.config.RedisSettings;
import dev.creddy.anthropic.it.support.RedisServer;
import dev.creddy.anthropic.token.RedisTokenStore;
import dev.creddy.anthropic.token.TokenSecrets;
import dev.creddy.anthropic.token.TokenStoreUnavailableException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The contract on a real redis-server, the keys' layout and expiries, and failing closed: while
 * Redis cannot answer, every call fails with {@link TokenStoreUnavailableException} (the proxy
 * answers 503), never with an empty answer that would read as "nobody's".
 */
class RedisObjectOwnersTest extends ObjectOwnersContract {

    @RegisterExtension
    static final RedisServer REDIS = RedisServer.start();

    private RedisTokenStore store;

    @Override
    protected ObjectOwners open() throws Exception {
        REDIS.call("FLUSHALL");
        RedisSettings settings = new RedisSettings(URI.create(REDIS.url()), Optional.empty(), Duration.ofSeconds(2),
                Duration.ofSeconds(1));
        store = new RedisTokenStore(settings, new TokenSecrets(), Clock.systemUTC());
        store.start();
        return new RedisObjectOwners(store.link());
    }

    @Override
    protected void close() {
        store.close();
    }

    @Test
    void oneKeyPerObjectUnderThePrefixBatchesExpiringFilesNot() throws Exception {
        owners.record(ObjectKind.BATCH, "msgbatch_01", "agent:alice").toCompletableFuture().join();
        owners.record(ObjectKind.FILE, "file_01", "agent:alice").toCompletableFuture().join();
        assertEquals(List.of("creddy:owner:batch:{msgbatch_01}", "creddy:owner:file:{file_01}"),
                REDIS.keys().stream().filter(key -> key.contains("owner")).sorted().toList());
        long batchTtl = Long.parseLong(String.valueOf(REDIS.call("PTTL", "creddy:owner:batch:{msgbatch_01}")));
        assertTrue(batchTtl > Duration.ofDays(29).toMillis() && batchTtl <= Duration.ofDays(30).toMillis(), "PTTL " + batchTtl);
        assertEquals("-1", String.valueOf(REDIS.call("PTTL", "creddy:owner:file:{file_01}")), "a file's record has no expiry");
    }

    @Test
    void whileRedisIsFrozenEveryCallFailsClosed() throws Exception {
        owners.record(ObjectKind.FILE, "file_01", "agent:alice").toCompletableFuture().join();
        REDIS.freeze();
        try {
            assertThrows(TokenStoreUnavailableException.class, () -> owners.ownerOf(ObjectKind.FILE, "file_01"));
            CompletionException listing = assertThrows(CompletionException.class,
                    () -> owners.ownersOf(ObjectKind.FILE, List.of("file_01")).toCompletableFuture().join());
            assertInstanceOf(TokenStoreUnavailableException.class, listing.getCause());
            CompletionException recording = assertThrows(CompletionException.class,
                    () -> owners.record(ObjectKind.FILE, "file_02", "agent:alice").toCompletableFuture().join());
            assertInstanceOf(TokenStoreUnavailableException.class, recording.getCause());
        } finally {
            REDIS.thaw();
        }
    }
}
