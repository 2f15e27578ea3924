package dev.creddy.anthropic.token;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.creddy.anthropic.config.RedisSettings;
import dev.creddy.anthropic.it.support.RedisServer;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 16: 100,000 expired index entries (what a busy deployment leaves behind) do not block Redis:
 * listing and the background trim each run commands that Redis's SLOWLOG, set to log anything slower
 * than {@value #SLOW_MICROS} µs, never records.
 */
@Timeout(120)
class RedisBacklogTest {

    private static final int BACKLOG = 100_000;
    /** A few milliseconds, with room for a loaded CI host; the unbounded script took about 1 s (issue 16). */
    private static final int SLOW_MICROS = 10_000;

    @RegisterExtension
    static final RedisServer REDIS = RedisServer.start();

    @Test
    void aLargeBacklogOfExpiredEntriesNeverBlocksRedisForMoreThanAFewMilliseconds() throws Exception {
        REDIS.call("FLUSHALL");
        RedisKeys keys = new RedisKeys(RedisSettings.DEFAULT_KEY_PREFIX);
        long past = System.currentTimeMillis() - Duration.ofHours(1).toMillis();
        for (int from = 0; from < BACKLOG; from += 1000) {
            List<String> byId = new ArrayList<>(List.of("ZADD", keys.tokensById()));
            List<String> byExpiry = new ArrayList<>(List.of("ZADD", keys.tokensByExpiry()));
            for (int i = from; i < from + 1000; i++) {
                String id = String.format("tok_bl%014d", i);
                byId.addAll(List.of("0", id));
                byExpiry.addAll(List.of(Long.toString(past), id));
            }
            REDIS.call(byId.toArray(String[]::new));
            REDIS.call(byExpiry.toArray(String[]::new));
        }
        RedisTokenStore store = new RedisTokenStore(new RedisSettings(URI.create(REDIS.url()), Optional.empty(),
                Duration.ofSeconds(2), Duration.ofSeconds(1)), new TokenSecrets(), Clock.systemUTC());
        try {
            store.start();
            IssuedToken live = store.issue("live", Duration.ofHours(1));
            REDIS.call("CONFIG", "SET", "slowlog-log-slower-than", Integer.toString(SLOW_MICROS));
            REDIS.call("SLOWLOG", "RESET");

            long started = System.nanoTime();
            // "tok_bl…" sorts before most ids: listing walks the backlog to find the live one.
            List<TokenRecord> page = store.list(100, Optional.empty());
            long listed = System.nanoTime();
            for (int run = 0; run < 20 && (Long) REDIS.call("ZCARD", keys.tokensByExpiry()) > 1; run++) {
                store.trimExpiredIndexEntries();
            }
            long trimmed = System.nanoTime();
            System.out.printf("backlog of %d expired entries: first listing %d ms, trimmed in %d ms, %s entries left%n",
                    BACKLOG, (listed - started) / 1_000_000, (trimmed - listed) / 1_000_000, REDIS.call("ZCARD", keys.tokensById()));

            assertEquals(List.of(live.record().id()), page.stream().map(TokenRecord::id).toList());
            assertEquals(List.of(), REDIS.call("SLOWLOG", "GET", "10"), "no command took longer than " + SLOW_MICROS + " µs");
            assertEquals(1L, REDIS.call("ZCARD", keys.tokensById()), "the backlog is gone");
        } finally {
            store.close();
            REDIS.call("CONFIG", "SET", "slowlog-log-slower-than", "10000");
        }
    }
}
