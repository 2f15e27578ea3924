package dev.creddy.anthropic.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.config.RedisSettings;
import dev.creddy.anthropic.it.support.Poll;
import dev.creddy.anthropic.it.support.RedisServer;
import dev.creddy.anthropic.token.FailsClosed;
import dev.creddy.anthropic.token.IssuedToken;
import dev.creddy.anthropic.token.RedisKeys;
import dev.creddy.anthropic.token.RedisTokenStore;
import dev.creddy.anthropic.token.TokenGrant;
import dev.creddy.anthropic.token.TokenLimits;
import dev.creddy.anthropic.token.TokenRecord;
import dev.creddy.anthropic.token.TokenSecrets;
import dev.creddy.anthropic.token.TokenStoreUnavailableException;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.function.Executable;

/**
 * What only the Redis ledger does, against a real redis-server: what it keeps there and for how
 * long, limits shared by instances, and what happens while Redis is gone or frozen. The ledger
 * contract itself is {@link RedisUsageLedgerContractTest}.
 */
@Timeout(60)
class RedisUsageLedgerTest {

    private static final Duration COMMAND_TIMEOUT = Duration.ofMillis(800);
    private static final Duration RETENTION = Duration.ofDays(7);

    @RegisterExtension
    static final RedisServer REDIS = RedisServer.start();

    private final List<RedisTokenStore> stores = new ArrayList<>();
    private final List<RedisUsageLedger> ledgers = new ArrayList<>();

    @BeforeEach
    void emptyRedis() throws Exception {
        REDIS.call("FLUSHALL");
    }

    @AfterEach
    void closeAndHealRedis() throws Exception {
        ledgers.forEach(RedisUsageLedger::close);
        stores.forEach(RedisTokenStore::close);
        if (!REDIS.isRunning()) {
            REDIS.restart();
        }
        REDIS.thaw();
    }

    /** An instance: a token store with its own connection, and a ledger over it. */
    private RedisUsageLedger instance() {
        RedisTokenStore store = new RedisTokenStore(new RedisSettings(URI.create(REDIS.url()), Optional.empty(),
                COMMAND_TIMEOUT, Duration.ofSeconds(1)), new TokenSecrets(), Clock.systemUTC());
        stores.add(store);
        store.start();
        RedisUsageLedger ledger = new RedisUsageLedger(store.link(), RETENTION);
        ledgers.add(ledger);
        return ledger;
    }

    private IssuedToken issue(String agent, Long rpm) {
        return stores.get(0).issue(new TokenGrant(agent, Duration.ofHours(2), new TokenLimits(
                rpm == null ? OptionalLong.empty() : OptionalLong.of(rpm), OptionalLong.empty(), OptionalLong.empty(),
                List.of())));
    }

    private static long pttl(String key) throws IOException {
        return (Long) REDIS.call("PTTL", key);
    }

    private static void assertExpiresIn(String key, Duration expected) throws IOException {
        long ttl = pttl(key);
        assertTrue(ttl <= expected.toMillis() && ttl > expected.minusSeconds(5).toMillis(),
                key + " expires in " + ttl + " ms, expected about " + expected.toMillis());
    }

    @Test
    void keepsCountersByTokenIdWithExpiries() throws Exception {
        RedisUsageLedger ledger = instance();
        IssuedToken issued = issue("agent-k", 10L);
        TokenRecord token = issued.record();
        String id = token.id().value();
        Instant now = Instant.now();
        Set<String> before = new HashSet<>(REDIS.keys());

        assertTrue(ledger.admit(token, now).admitted());
        ledger.record(token, new Usage(1, 10, 20, 30, 40, 1), now);
        ledger.awaitRecords(Duration.ofSeconds(5));

        // Issue 16 changed the layout: the window lives in the token's one usage hash, the hour in a
        // key per token and hour (hash-tagged by id), with an index of the hour's tokens.
        Instant minute = now.truncatedTo(ChronoUnit.MINUTES);
        Instant hour = now.truncatedTo(ChronoUnit.HOURS);
        RedisKeys keys = new RedisKeys(RedisSettings.DEFAULT_KEY_PREFIX);
        String usage = keys.usage(id);
        String hourly = keys.usageHour(id, hour.toString().substring(0, 13));
        String index = keys.usageHourIndex(hour.toString().substring(0, 13));
        Set<String> added = new HashSet<>(REDIS.keys());
        added.removeAll(before);
        assertEquals(Set.of(usage, hourly, index), added);

        assertEquals(Map.of("w", Long.toString(minute.getEpochSecond() / 60), "wr", "1", "wt", "100", "requests", "1",
                "input_tokens", "10", "output_tokens", "20", "cache_creation_input_tokens", "30", "cache_read_input_tokens", "40",
                "errors", "1"), hash(usage));
        assertEquals(Map.of("agent", "agent-k", "requests", "1", "input_tokens", "10", "output_tokens", "20",
                "cache_creation_input_tokens", "30", "cache_read_input_tokens", "40", "errors", "1"), hash(hourly));
        assertEquals(List.of("agent-k" + RedisUsageLedger.SEPARATOR + id), REDIS.call("ZRANGE", index, "0", "-1"));

        assertExpiresIn(usage, Duration.between(now, token.expiresAt().plus(RedisUsageLedger.TOTAL_MARGIN)));
        assertExpiresIn(hourly, Duration.between(now, hour.plus(Duration.ofHours(1)).plus(RETENTION)));
        assertExpiresIn(index, Duration.between(now, hour.plus(Duration.ofHours(1)).plus(RETENTION)));

        String digest = TokenSecrets.digest(issued.secret());
        for (String key : added) {
            String stored = key + " " + REDIS.call("DUMP", key);
            assertFalse(stored.contains(issued.secret().substring(4)), "no secret in " + key);
            assertFalse(stored.contains(digest), "no digest in " + key);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> hash(String key) throws IOException {
        List<String> flat = (List<String>) REDIS.call("HGETALL", key);
        Map<String, String> fields = new java.util.HashMap<>();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            fields.put(flat.get(i), flat.get(i + 1));
        }
        return fields;
    }

    @Test
    void instancesShareTheLimits() throws Exception {
        RedisUsageLedger a = instance();
        RedisUsageLedger b = instance();
        TokenRecord token = issue("shared", 5L).record();
        Instant now = Instant.now();
        for (int i = 0; i < 5; i++) {
            assertTrue((i % 2 == 0 ? a : b).admit(token, now).admitted(), "request " + (i + 1));
        }
        assertEquals(Optional.of(Admission.RPM), a.admit(token, now).refusedBy(), "the 6th, on A");
        assertEquals(Optional.of(Admission.RPM), b.admit(token, now).refusedBy(), "and on B");

        a.record(token, Usage.ofTokens(100, 1, 0, 0), now);
        a.awaitRecords(Duration.ofSeconds(5));
        assertEquals(101, b.usageOf(token, now).total().tokens(), "recorded on A, seen from B");
        assertEquals(5, b.usageOf(token, now).requestsInWindow());
    }

    @Test
    void instancesAdmitExactlyRpmUnderConcurrency() throws Exception {
        RedisUsageLedger a = instance();
        RedisUsageLedger b = instance();
        TokenRecord token = UsageLedgerContract.token("race-two", 100L, null, null);
        List<Admission> admissions = UsageLedgerContract.raceAdmissions(List.of(a, b), token, 8, 50);
        assertEquals(100, admissions.stream().filter(Admission::admitted).count());
    }

    private static void failsClosed(Executable call) {
        FailsClosed.within(COMMAND_TIMEOUT, call);
    }

    /** The admission, or empty when the ledger failed closed. */
    private static Optional<Admission> admitsOrFails(RedisUsageLedger ledger, TokenRecord token, Instant now) {
        try {
            return Optional.of(ledger.admit(token, now));
        } catch (TokenStoreUnavailableException e) {
            return Optional.empty();
        }
    }

    @Test
    void failsClosedWhileRedisIsDownAndDropsRecordsWithoutThrowing() throws Exception {
        RedisUsageLedger ledger = instance();
        TokenRecord token = issue("outage", 10L).record();
        Instant now = Instant.now();
        assertTrue(ledger.admit(token, now).admitted());

        REDIS.kill();
        assertTrue(Poll.until(Duration.ofSeconds(5), () -> admitsOrFails(ledger, token, now), Optional::isEmpty).isEmpty(),
                "admission fails closed once the connection is gone");
        failsClosed(() -> ledger.admit(token, now));
        failsClosed(() -> ledger.usageOf(token, now));
        failsClosed(() -> ledger.report(Optional.empty(), now.minusSeconds(60), now));
        long droppedBefore = ledger.droppedRecords();
        ledger.record(token, Usage.ofTokens(1, 1, 0, 0), now);
        assertEquals(droppedBefore + 1, Poll.until(Duration.ofSeconds(5), ledger::droppedRecords, n -> n == droppedBefore + 1),
                "the record is counted as dropped");

        REDIS.restart();
        assertTrue(Poll.until(Duration.ofSeconds(15), () -> {
            ledger.record(token, Usage.ofTokens(2, 0, 0, 0), now);
            ledger.awaitRecords(Duration.ofSeconds(5));
            return admitsOrFails(ledger, token, now).isPresent() && ledger.usageOf(token, now).total().inputTokens() > 0;
        }, Boolean::booleanValue), "records again once Redis is back, without a restart");
    }

    @Test
    void recordingNeverWaitsForAFrozenRedis() throws Exception {
        RedisUsageLedger ledger = instance();
        TokenRecord token = issue("frozen", null).record();
        Instant now = Instant.now();
        REDIS.freeze();
        try {
            long start = System.nanoTime();
            for (int i = 0; i < 20; i++) {
                ledger.record(token, Usage.ofTokens(1, 1, 0, 0), now);
            }
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertTrue(took.compareTo(COMMAND_TIMEOUT.dividedBy(2)) < 0, "20 records took " + took + " with Redis frozen");
            failsClosed(() -> ledger.admit(token, now));
            assertEquals(20L, Poll.until(Duration.ofSeconds(5), ledger::droppedRecords, n -> n == 20),
                    "the frozen records time out and are counted");
        } finally {
            REDIS.thaw();
        }
    }
}
