package dev.creddy.anthropic.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.config.RedisSettings;
import dev.creddy.anthropic.it.support.Poll;
import dev.creddy.anthropic.it.support.RedisServer;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * How running exchanges hear of revocations through the Redis store, against a real redis-server:
 * every instance hears a revoked id on the channel, and an instance that may have missed the
 * message (its subscription dropped) finds it on its next sweep of the tokens it runs exchanges for.
 */
@Timeout(60)
class RedisRevocationListenerTest {

    @RegisterExtension
    static final RedisServer REDIS = RedisServer.start();

    private final List<RedisTokenStore> stores = new ArrayList<>();

    @BeforeEach
    void emptyRedis() throws Exception {
        REDIS.call("FLUSHALL");
    }

    @AfterEach
    void close() {
        stores.forEach(RedisTokenStore::close);
    }

    private RedisTokenStore store(String listenChannel, List<TokenId> heard) {
        RedisSettings settings = new RedisSettings(URI.create(REDIS.url()), Optional.empty(), Duration.ofSeconds(2),
                Duration.ofSeconds(1));
        RedisTokenStore store = new RedisTokenStore(settings, new TokenSecrets(), Clock.systemUTC(), listenChannel, heard::add);
        stores.add(store);
        store.start();
        return store;
    }

    @Test
    void everyInstanceHearsTheRevokedId() throws Exception {
        List<TokenId> heardOnA = new CopyOnWriteArrayList<>();
        List<TokenId> heardOnB = new CopyOnWriteArrayList<>();
        RedisTokenStore a = store(null, heardOnA);
        store(null, heardOnB);
        TokenId revoked = a.issue("one", Duration.ofMinutes(5)).record().id();
        a.issue("other", Duration.ofMinutes(5));
        assertTrue(a.revoke(revoked));
        assertEquals(List.of(revoked), Poll.until(Duration.ofSeconds(5), () -> List.copyOf(heardOnB), h -> !h.isEmpty()));
        assertEquals(List.of(revoked), Poll.until(Duration.ofSeconds(5), () -> List.copyOf(heardOnA), h -> !h.isEmpty()));
    }

    @Test
    void anInstanceThatMayHaveMissedTheMessageFindsTheRevocationOnItsSweep() throws Exception {
        List<TokenId> heardOnA = new CopyOnWriteArrayList<>();
        List<TokenId> heardOnDeaf = new CopyOnWriteArrayList<>();
        RedisTokenStore a = store(null, heardOnA);
        RedisTokenStore deaf = store("creddy:nobody-publishes-here", heardOnDeaf);
        TokenId revoked = a.issue("streams", Duration.ofMinutes(5)).record().id();
        TokenId live = a.issue("streams-on", Duration.ofMinutes(5)).record().id();
        deaf.watchRunning(() -> Set.of(revoked, live));
        assertTrue(a.revoke(revoked));
        // A heard it: the message went out; the deaf instance listens elsewhere.
        Poll.until(Duration.ofSeconds(5), () -> List.copyOf(heardOnA), h -> !h.isEmpty());
        // Its subscription drops: messages may have been lost, and once it is back the sweep asks Redis.
        REDIS.call("CLIENT", "KILL", "TYPE", "pubsub");
        assertEquals(List.of(revoked), Poll.until(Duration.ofSeconds(15), () -> List.copyOf(heardOnDeaf), h -> !h.isEmpty()),
                "the revoked token, and only it");
    }
}
