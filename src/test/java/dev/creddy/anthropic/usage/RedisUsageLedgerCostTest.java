package dev.creddy.anthropic.usage;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.config.RedisSettings;
import dev.creddy.anthropic.it.support.RedisServer;
import dev.creddy.anthropic.token.RedisTokenStore;
import dev.creddy.anthropic.token.TokenLimits;
import dev.creddy.anthropic.token.TokenRecord;
import dev.creddy.anthropic.token.TokenSecrets;
import dev.creddy.anthropic.token.TokenGrant;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 16: what one forwarded request with limits costs Redis, an admission and a record, read from
 * {@code INFO commandstats} and the AOF's growth on a real redis-server with appendonly on. Prints the
 * numbers (bench/README quotes them) and holds the write count to its bound.
 */
@Timeout(60)
class RedisUsageLedgerCostTest {

    private static final int REQUESTS = 500;
    private static final List<String> WRITES = List.of("hincrby", "hset", "hsetnx", "pexpire", "zadd", "set", "del", "zrem");

    @RegisterExtension
    static final RedisServer REDIS = RedisServer.start(List.of("--appendonly", "yes", "--appendfsync", "no"));

    @Test
    void oneRequestIsAFewWritesAndUnderAKilobyteOfAof() throws Exception {
        REDIS.call("FLUSHALL");
        RedisTokenStore store = new RedisTokenStore(new RedisSettings(URI.create(REDIS.url()), Optional.empty(),
                Duration.ofSeconds(2), Duration.ofSeconds(1)), new TokenSecrets(), Clock.systemUTC());
        store.start();
        RedisUsageLedger ledger = new RedisUsageLedger(store.link(), Duration.ofDays(7));
        try {
            TokenRecord token = store.issue(new TokenGrant("cost", Duration.ofHours(2), new TokenLimits(OptionalLong.of(1_000_000),
                    OptionalLong.of(1_000_000_000), OptionalLong.empty(), List.of()))).record();
            // One request first, so the per-hour and per-token keys exist as in steady state.
            ledger.admit(token, Instant.now());
            ledger.record(token, new Usage(1, 1200, 300, 0, 0, 0), Instant.now());
            ledger.awaitRecords(Duration.ofSeconds(5));
            long aofBefore = aofSize();
            REDIS.call("CONFIG", "RESETSTAT");
            for (int i = 0; i < REQUESTS; i++) {
                ledger.admit(token, Instant.now());
                ledger.record(token, new Usage(1, 1200, 300, 0, 0, 0), Instant.now());
            }
            ledger.awaitRecords(Duration.ofSeconds(10));
            Map<String, Long> calls = commandCalls();
            long aofBytes = aofSize() - aofBefore;
            long writes = calls.entrySet().stream().filter(call -> WRITES.contains(call.getKey())).mapToLong(Map.Entry::getValue).sum();
            long total = calls.entrySet().stream().filter(call -> !call.getKey().equals("info") && !call.getKey().equals("ping")
                    && !call.getKey().equals("config")).mapToLong(Map.Entry::getValue).sum();
            System.out.printf("per forwarded request with limits (admission + record), %d requests: %.2f commands "
                    + "(%.2f write calls), %.0f AOF bytes; by command: %s%n", REQUESTS, (double) total / REQUESTS,
                    (double) writes / REQUESTS, (double) aofBytes / REQUESTS, calls);
            // Of these, PEXPIRE NX and HSETNX on keys that have them change nothing and reach neither AOF nor replicas.
            assertTrue(writes <= 12L * REQUESTS, "at most twelve write calls per request: " + calls);
            assertTrue(aofBytes <= 1_000L * REQUESTS, "at most 1000 AOF bytes per request: " + aofBytes / REQUESTS);
        } finally {
            ledger.close();
            store.close();
        }
    }

    private static long aofSize() throws IOException, InterruptedException {
        for (int i = 0; i < 100; i++) {
            String info = (String) REDIS.call("INFO", "persistence");
            for (String line : info.split("\r\n")) {
                if (line.startsWith("aof_current_size:")) {
                    return Long.parseLong(line.substring("aof_current_size:".length()));
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no aof_current_size");
    }

    /** Calls per command since RESETSTAT, scripts' inner commands included. */
    private static Map<String, Long> commandCalls() throws IOException {
        Map<String, Long> calls = new TreeMap<>();
        for (String line : ((String) REDIS.call("INFO", "commandstats")).split("\r\n")) {
            if (line.startsWith("cmdstat_")) {
                String name = line.substring("cmdstat_".length(), line.indexOf(':'));
                String count = line.substring(line.indexOf("calls=") + 6, line.indexOf(',', line.indexOf("calls=")));
                calls.put(name, Long.parseLong(count));
            }
        }
        return calls;
    }
}
