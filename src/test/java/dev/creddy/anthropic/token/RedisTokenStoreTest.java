package dev.creddy.anthropic.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.config.RedisSettings;
import dev.creddy.anthropic.it.support.RedisServer;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.function.Executable;

/**
 * What only the Redis store does, against a real redis-server: what it keeps there, revocations
 * crossing instances, and failing closed while Redis is gone, frozen or not there yet. The registry
 * contract itself is {@link RedisTokenStoreContractTest}.
 */
@Timeout(60)
class RedisTokenStoreTest {

    private static final Duration COMMAND_TIMEOUT = Duration.ofMillis(800);
    /** Long enough that only a revocation message can explain a prompt refusal. */
    private static final Duration LONG_CACHE = Duration.ofMinutes(1);

    @RegisterExtension
    static final RedisServer REDIS = RedisServer.start();

    private final List<RedisTokenStore> stores = new ArrayList<>();

    @BeforeEach
    void emptyRedis() throws Exception {
        REDIS.call("FLUSHALL");
    }

    @AfterEach
    void closeStoresAndHealRedis() throws Exception {
        stores.forEach(RedisTokenStore::close);
        if (!REDIS.isRunning()) {
            REDIS.restart();
        }
        REDIS.thaw();
    }

    private static final RedisKeys KEYS = new RedisKeys(RedisSettings.DEFAULT_KEY_PREFIX);

    private RedisTokenStore store(Duration cacheTtl) {
        return store(cacheTtl, Clock.systemUTC(), null);
    }

    private RedisTokenStore store(Duration cacheTtl, Clock clock, String listenChannel) {
        RedisSettings settings = new RedisSettings(URI.create(REDIS.url()), Optional.empty(), COMMAND_TIMEOUT, cacheTtl);
        RedisTokenStore store = new RedisTokenStore(settings, new TokenSecrets(), clock, listenChannel);
        stores.add(store);
        store.start();
        return store;
    }

    private static String tokenKey(IssuedToken token) {
        return KEYS.token(token.record().id().value());
    }

    private static void await(String what, Duration deadline, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + deadline.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - end > 0) {
                throw new AssertionError("not within " + deadline + ": " + what);
            }
            Thread.sleep(10);
        }
    }

    /** Whether the store accepts the token right now; an unavailable store does not. */
    private static boolean accepts(RedisTokenStore store, IssuedToken token) {
        try {
            return store.validate(token.secret()).isPresent();
        } catch (TokenStoreUnavailableException e) {
            return false;
        }
    }

    private static Duration failsClosed(Executable call) {
        return FailsClosed.within(COMMAND_TIMEOUT, call);
    }

    @Test
    void keepsTheIdentityAsOneCompactJsonField() throws Exception {
        RedisTokenStore store = store(Duration.ZERO);
        AgentIdentity identity = new AgentIdentity("https://creddy.example", "agent-1", "task-1", null,
                List.of("anthropic:claude"), "127.0.0.0/8");
        IssuedToken token = store.issue(new TokenGrant("agent-i", Duration.ofHours(1), TokenLimits.NONE, Optional.of(identity)));
        assertEquals("{\"issuer\":\"https://creddy.example\",\"subject\":\"agent-1\",\"task_id\":\"task-1\","
                + "\"scopes\":[\"anthropic:claude\"],\"ip_restriction\":\"127.0.0.0/8\"}",
                REDIS.call("HGET", tokenKey(token), "identity"));
        assertEquals(Optional.of(identity), store.validate(token.secret()).orElseThrow().identity());
    }

    /** A broken identity is refused, never read as "no identity": that would drop an address binding. */
    @Test
    void refusesATokenWhoseStoredIdentityIsBroken() throws Exception {
        RedisTokenStore store = store(Duration.ZERO);
        for (String broken : List.of("{", "[]", "{\"issuer\":\"i\",\"scopes\":[]}",
                "{\"issuer\":\"i\",\"subject\":\"s\",\"scopes\":[],\"extra\":1}",
                "{\"issuer\":\"i\",\"subject\":\"s\",\"scopes\":[1]}",
                "{\"issuer\":\"i\",\"subject\":\"s\",\"scopes\":[],\"ip_restriction\":7}")) {
            IssuedToken token = store.issue(new TokenGrant("agent-b", Duration.ofHours(1), TokenLimits.NONE,
                    Optional.of(new AgentIdentity("i", "s", null, null, List.of(), "10.0.0.0/8"))));
            REDIS.call("HSET", tokenKey(token), "identity", broken);
            assertTrue(store.validate(token.secret()).isEmpty(), broken);
            assertTrue(store.list(100, Optional.empty()).stream().noneMatch(r -> r.id().equals(token.record().id())), broken);
        }
    }

    /**
     * Issue 16 changed the layout: one key per token, keyed by an id derived from the secret, so
     * that no id-to-digest key can be evicted apart from the token (it used to be two keys).
     */
    @Test
    void keepsOnlyTheDigestInOneKeyWithTheTokensExpiryAndAnIndex() throws Exception {
        RedisTokenStore store = store(Duration.ofSeconds(1));
        IssuedToken token = store.issue("agent-k", Duration.ofHours(1));
        String id = token.record().id().value();
        String digest = TokenSecrets.digest(token.secret());
        assertEquals(RedisTokenStore.idOf(token.secret()), token.record().id(), "the id is derived from the secret");

        assertEquals(Set.of(KEYS.token(id), KEYS.tokensById(), KEYS.tokensByExpiry()), REDIS.keys().stream()
                .filter(key -> !key.startsWith("creddy:probe:")).collect(java.util.stream.Collectors.toSet()),
                "besides the readiness probe's own short-lived key");
        assertEquals(List.of("digest", digest, "id", id, "agent_name", "agent-k", "created_at", token.record().createdAt().toString(),
                "expires_at", token.record().expiresAt().toString(), "limits", "{}"), REDIS.call("HGETALL", tokenKey(token)));
        long ttl = (Long) REDIS.call("PTTL", tokenKey(token));
        assertTrue(ttl > Duration.ofMinutes(59).toMillis() && ttl <= Duration.ofHours(1).toMillis(), "expires in " + ttl);
        assertEquals(Long.toString(token.record().expiresAt().toEpochMilli()),
                REDIS.call("ZSCORE", KEYS.tokensByExpiry(), id).toString().replaceAll("\\.0$", ""));

        String everything = REDIS.call("DUMP", tokenKey(token)) + " " + REDIS.keys() + " "
                + REDIS.call("ZRANGE", KEYS.tokensById(), "0", "-1");
        assertFalse(everything.contains(token.secret().substring(4)), "the secret is nowhere in Redis");
    }

    @Test
    void redisForgetsAnExpiredTokenAndTheIndexFollows() throws Exception {
        RedisTokenStore store = store(Duration.ofSeconds(1));
        IssuedToken brief = store.issue("brief", Duration.ofMillis(1500));
        assertTrue(store.validate(brief.secret()).isPresent());
        await("Redis expires the token's keys", Duration.ofSeconds(5),
                () -> ioSafe(() -> REDIS.call("EXISTS", tokenKey(brief))).equals(0L));
        assertEquals(Optional.empty(), store.validate(brief.secret()));
        assertEquals(List.of(), store.list(10, Optional.empty()));
        assertEquals(0L, REDIS.call("ZCARD", KEYS.tokensById()), "listing dropped the stale index entry");
        assertEquals(0L, REDIS.call("ZCARD", KEYS.tokensByExpiry()));
    }

    @Test
    /** Issue 16: the background trim, not issuance, drops expired entries now (bounded work per script). */
    void theBackgroundTrimDropsTheIndexEntriesOfExpiredTokens() throws Exception {
        ManualClock clock = new ManualClock(Instant.now());
        RedisTokenStore store = store(Duration.ofSeconds(1), clock, null);
        for (int i = 0; i < 3; i++) {
            store.issue("short-" + i, Duration.ofSeconds(10));
        }
        clock.advance(Duration.ofMinutes(1));
        IssuedToken later = store.issue("later", Duration.ofHours(1));
        store.trimExpiredIndexEntries();
        assertEquals(List.of(later.record().id().value()), REDIS.call("ZRANGE", KEYS.tokensById(), "0", "-1"));
        assertEquals(1L, REDIS.call("ZCARD", KEYS.tokensByExpiry()));
    }

    @Test
    void aRevocationElsewhereReachesThisInstanceThroughItsSubscription() throws Exception {
        RedisTokenStore a = store(LONG_CACHE);
        RedisTokenStore b = store(LONG_CACHE);
        IssuedToken token = a.issue("shared", Duration.ofHours(1));
        assertEquals(token.record(), b.validate(token.secret()).orElseThrow(), "issued on A, valid on B");
        assertEquals(1, b.cachedValidations());

        long revokedAt = System.nanoTime();
        assertTrue(a.revoke(token.record().id()));
        await("B refuses the revoked token", Duration.ofSeconds(5), () -> b.validate(token.secret()).isEmpty());
        Duration delay = Duration.ofNanos(System.nanoTime() - revokedAt);
        System.out.println("revocation on A refused on B after " + delay.toNanos() / 1000 + " us (cache TTL " + LONG_CACHE + ")");
        assertTrue(delay.compareTo(Duration.ofSeconds(5)) < 0);
    }

    @Test
    void aRevocationHoldsHereWhenItReturnsEvenIfTheMessageNeverCame() {
        RedisTokenStore deaf = store(LONG_CACHE, Clock.systemUTC(), "creddy:test:nobody-publishes-here");
        IssuedToken token = deaf.issue("deaf", Duration.ofHours(1));
        assertTrue(deaf.validate(token.secret()).isPresent());
        assertEquals(1, deaf.cachedValidations());
        assertTrue(deaf.revoke(token.record().id()));
        assertEquals(Optional.empty(), deaf.validate(token.secret()));
    }

    @Test
    void anInstanceThatMissedTheMessageRefusesWithinTheCacheTtl() throws Exception {
        Duration ttl = Duration.ofMillis(400);
        RedisTokenStore issuer = store(ttl);
        RedisTokenStore deaf = store(ttl, Clock.systemUTC(), "creddy:test:nobody-publishes-here");
        IssuedToken token = issuer.issue("deaf", Duration.ofHours(1));
        assertTrue(deaf.validate(token.secret()).isPresent());
        assertEquals(1, deaf.cachedValidations());

        assertTrue(issuer.revoke(token.record().id()));
        long acknowledged = System.nanoTime();
        boolean refused = false;
        while (!refused) {
            long started = System.nanoTime();
            refused = deaf.validate(token.secret()).isEmpty();
            assertTrue(refused || started - acknowledged <= ttl.toNanos(),
                    "accepted " + Duration.ofNanos(started - acknowledged) + " after the revocation, beyond the cache TTL " + ttl);
            Thread.sleep(5);
        }
    }

    @Test
    void failsClosedWhileRedisIsDownAndRecoversWhenItReturns() throws Exception {
        RedisTokenStore store = store(LONG_CACHE);
        IssuedToken token = store.issue("survivor", Duration.ofHours(1));
        assertTrue(store.validate(token.secret()).isPresent());
        REDIS.call("SAVE"); // so the restarted server still knows the token

        REDIS.kill();
        // The dropped connection clears the cache, so even a cached token is not vouched for.
        await("validation fails closed", Duration.ofSeconds(2), () -> {
            try {
                store.validate(token.secret());
                return false;
            } catch (TokenStoreUnavailableException e) {
                return true;
            }
        });
        failsClosed(() -> store.validate(token.secret()));
        failsClosed(() -> store.issue("during-outage", Duration.ofHours(1)));
        failsClosed(() -> store.revoke(token.record().id()));
        failsClosed(() -> store.list(10, Optional.empty()));
        String reason = store.unavailableReason().orElseThrow();
        assertTrue(reason.contains("token store unavailable: Redis"), reason);
        assertFalse(reason.contains(Integer.toString(REDIS.port())), "the reason names the store, not its address: " + reason);

        REDIS.restart();
        await("the token validates again without a restart", Duration.ofSeconds(15), () -> accepts(store, token));
        assertEquals(Optional.empty(), store.unavailableReason());
        assertTrue(store.validate(store.issue("after-outage", Duration.ofHours(1)).secret()).isPresent());
    }

    @Test
    void refusesWithinTheCommandTimeoutWhenRedisStopsAnswering() throws Exception {
        RedisTokenStore store = store(LONG_CACHE);
        IssuedToken token = store.issue("never-cached", Duration.ofHours(1));

        REDIS.freeze();
        try {
            Duration took = failsClosed(() -> store.validate(token.secret()));
            assertTrue(took.compareTo(COMMAND_TIMEOUT.minusMillis(100)) >= 0, "it waited for the timeout: " + took);
            failsClosed(() -> store.issue("frozen", Duration.ofHours(1)));
            assertTrue(store.unavailableReason().orElseThrow().contains("did not answer within"));
        } finally {
            REDIS.thaw();
        }
        await("answers again once Redis does", Duration.ofSeconds(10), () -> accepts(store, token));
    }

    @Test
    void startsWithoutRedisAndConnectsOnceItIsThere() throws Exception {
        REDIS.kill();
        long start = System.nanoTime();
        RedisTokenStore store = store(Duration.ofSeconds(1));
        assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(COMMAND_TIMEOUT.plusSeconds(1)) < 0,
                "start-up waits at most about the command timeout");
        failsClosed(() -> store.issue("too-early", Duration.ofHours(1)));
        assertTrue(store.unavailableReason().isPresent());

        REDIS.restart();
        await("issues once Redis is there", Duration.ofSeconds(15), () -> {
            try {
                return accepts(store, store.issue("on-time", Duration.ofHours(1)));
            } catch (TokenStoreUnavailableException e) {
                return false;
            }
        });
    }

    /**
     * Issuing and revoking on A while validating on A and B (B with the default one-second cache):
     * no validation that starts after a revocation returned is accepted by A, nor by B once its
     * cache TTL has passed too.
     */
    @Test
    @Timeout(120)
    void acrossTwoInstancesNoTokenOutlivesItsRevocationByMoreThanTheBound() throws Exception {
        Duration bound = Duration.ofSeconds(1);
        RedisTokenStore a = store(bound);
        RedisTokenStore b = store(bound);
        List<IssuedToken> tokens = new CopyOnWriteArrayList<>();
        Map<TokenId, Long> acknowledged = new ConcurrentHashMap<>();
        List<String> violations = new CopyOnWriteArrayList<>();
        AtomicLong latestAcceptanceAfterAck = new AtomicLong();
        AtomicBoolean running = new AtomicBoolean(true);
        ExecutorService threads = Executors.newFixedThreadPool(6);
        try {
            List<Future<?>> work = new ArrayList<>();
            work.add(threads.submit(() -> {
                for (int i = 0; i < 150; i++) {
                    tokens.add(a.issue("cross-" + i, Duration.ofHours(1)));
                }
                return null;
            }));
            for (RedisTokenStore validator : List.of(a, b, b)) {
                work.add(threads.submit(() -> {
                    while (running.get()) {
                        if (tokens.isEmpty()) {
                            Thread.onSpinWait();
                            continue;
                        }
                        IssuedToken token = tokens.get(ThreadLocalRandom.current().nextInt(tokens.size()));
                        Long ack = acknowledged.get(token.record().id());
                        long started = System.nanoTime();
                        if (validator.validate(token.secret()).isPresent() && ack != null) {
                            long late = started - ack;
                            latestAcceptanceAfterAck.accumulateAndGet(late, Math::max);
                            if (validator == a || late > bound.toNanos()) {
                                violations.add((validator == a ? "A" : "B") + " accepted "
                                        + Duration.ofNanos(late) + " after the revocation returned");
                            }
                        }
                    }
                    return null;
                }));
            }
            work.add(threads.submit(() -> {
                while (acknowledged.size() < 150) {
                    for (IssuedToken token : tokens) {
                        TokenId id = token.record().id();
                        if (!acknowledged.containsKey(id) && ThreadLocalRandom.current().nextInt(3) == 0 && a.revoke(id)) {
                            acknowledged.put(id, System.nanoTime());
                        }
                    }
                }
                return null;
            }));
            work.get(0).get(60, TimeUnit.SECONDS);
            work.get(work.size() - 1).get(60, TimeUnit.SECONDS);
            running.set(false);
            for (Future<?> validator : work) {
                validator.get(10, TimeUnit.SECONDS);
            }
        } finally {
            running.set(false);
            threads.shutdownNow();
        }
        System.out.println("cross-instance concurrency: latest acceptance after a revocation returned: "
                + Duration.ofNanos(latestAcceptanceAfterAck.get()).toNanos() / 1000 + " us (bound " + bound + ")");
        assertEquals(List.of(), violations);
        for (IssuedToken token : tokens) {
            assertNull(b.validate(token.secret()).orElse(null));
        }
    }

    private interface IoCall<T> {
        T call() throws Exception;
    }

    private static <T> T ioSafe(IoCall<T> call) {
        try {
            return call.call();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
