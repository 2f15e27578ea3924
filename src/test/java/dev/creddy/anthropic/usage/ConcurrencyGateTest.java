package dev.creddy.anthropic.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.config.RedisSettings;
import dev.creddy.anthropic.it.support.Poll;
import dev.creddy.anthropic.it.support.RedisServer;
import dev.creddy.anthropic.token.RedisKeys;
import dev.creddy.anthropic.token.RedisTokenStore;
import dev.creddy.anthropic.token.TokenGrant;
import dev.creddy.anthropic.token.TokenLimits;
import dev.creddy.anthropic.token.TokenRecord;
import dev.creddy.anthropic.token.TokenSecrets;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link ConcurrencyGate} in memory and in Redis (a real redis-server, two instances with their own
 * connections): caps per token and per agent hold under concurrent entries, a slot comes back when
 * released (once, however often it is released), and in Redis a slot whose instance stopped
 * renewing it comes back when its lease runs out, while one that is renewed does not.
 */
@Timeout(60)
class ConcurrencyGateTest {

    private static final Duration LEASE = Duration.ofSeconds(2);

    @RegisterExtension
    static final RedisServer REDIS = RedisServer.start();

    private final List<RedisTokenStore> stores = new ArrayList<>();
    private final List<RedisConcurrencyGate> gates = new ArrayList<>();

    @BeforeEach
    void emptyRedis() throws Exception {
        REDIS.call("FLUSHALL");
    }

    @AfterEach
    void close() {
        gates.forEach(RedisConcurrencyGate::close);
        stores.forEach(RedisTokenStore::close);
    }

    private RedisTokenStore store() {
        RedisTokenStore store = new RedisTokenStore(new RedisSettings(URI.create(REDIS.url()), Optional.empty(),
                Duration.ofSeconds(2), Duration.ofSeconds(1)), new TokenSecrets(), Clock.systemUTC());
        stores.add(store);
        store.start();
        return store;
    }

    private RedisConcurrencyGate redisGate() {
        RedisConcurrencyGate gate = new RedisConcurrencyGate(store().link(), LEASE);
        gates.add(gate);
        return gate;
    }

    private static TokenLimits capped(long maxConcurrent) {
        return new TokenLimits(OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty(), List.of(), List.of(),
                OptionalLong.empty(), OptionalLong.of(maxConcurrent));
    }

    private TokenRecord token(String agent, TokenLimits limits) {
        RedisTokenStore issuer = stores.isEmpty() ? store() : stores.get(0);
        return issuer.issue(new TokenGrant(agent, Duration.ofHours(1), limits)).record();
    }

    @Test
    void memoryHoldsTheTokenCapAndGivesSlotsBack() {
        holdsTheTokenCapAndGivesSlotsBack(new MemoryConcurrencyGate(), new MemoryConcurrencyGate());
    }

    @Test
    void redisHoldsTheTokenCapAcrossInstancesAndGivesSlotsBack() throws Exception {
        RedisConcurrencyGate a = redisGate();
        RedisConcurrencyGate b = redisGate();
        holdsTheTokenCapAndGivesSlotsBack(a, b);
        // The release travels without waiting; it lands.
        String set = new RedisKeys("creddy:").concurrency(lastToken.id().value());
        assertEquals(0L, Poll.until(Duration.ofSeconds(5), () -> (Long) REDIS.call("EXISTS", set), exists -> exists == 0L),
                "the leases are gone from Redis");
    }

    private TokenRecord lastToken;

    /** With one gate per instance where they share a store; memory gates share nothing, so only {@code a} is asked there. */
    private void holdsTheTokenCapAndGivesSlotsBack(ConcurrencyGate a, ConcurrencyGate b) {
        TokenRecord token = token("capped", capped(2));
        lastToken = token;
        ConcurrencyGate second = a instanceof MemoryConcurrencyGate ? a : b;
        ConcurrencyGate.Entry first = a.enter(token, 0);
        ConcurrencyGate.Entry other = second.enter(token, 0);
        assertTrue(first.admitted() && other.admitted());
        ConcurrencyGate.Entry third = a.enter(token, 0);
        assertFalse(third.admitted());
        assertEquals(ConcurrencyGate.MAX_CONCURRENT, third.refusedBy());
        assertEquals(2, third.limit());
        assertNull(third.slot());
        int alsoHere = second == a ? 1 : 0;
        assertEquals(1 + alsoHere, a.inUse());
        first.slot().release();
        first.slot().release();
        assertEquals(alsoHere, a.inUse());
        ConcurrencyGate.Entry again = a.enter(token, 0);
        assertTrue(again.admitted(), "the released slot came back");
        assertFalse(second.enter(token, 0).admitted(), "a second release gave nothing more back");
        again.slot().release();
        other.slot().release();
    }

    @Test
    void aTokenWithoutCapsTakesNoSlot() {
        TokenRecord token = token("free", TokenLimits.NONE);
        assertSame(ConcurrencyGate.Slot.NONE, new MemoryConcurrencyGate().enter(token, 0).slot());
        assertSame(ConcurrencyGate.Slot.NONE, redisGate().enter(token, 0).slot());
    }

    @Test
    void memoryHoldsTheAgentCapAcrossItsTokens() {
        holdsTheAgentCapAcrossItsTokens(new MemoryConcurrencyGate());
    }

    @Test
    void redisHoldsTheAgentCapAcrossItsTokens() {
        holdsTheAgentCapAcrossItsTokens(redisGate());
    }

    private void holdsTheAgentCapAcrossItsTokens(ConcurrencyGate gate) {
        TokenRecord one = token("researcher", TokenLimits.NONE);
        TokenRecord two = token("researcher", capped(5));
        ConcurrencyGate.Entry first = gate.enter(one, 2);
        ConcurrencyGate.Entry second = gate.enter(two, 2);
        assertTrue(first.admitted() && second.admitted());
        ConcurrencyGate.Entry third = gate.enter(two, 2);
        assertEquals(ConcurrencyGate.AGENT_CONCURRENCY, third.refusedBy());
        first.slot().release();
        second.slot().release();
        // The token's own slot taken by the refused entry was given back: five fit again under a cap of five.
        List<ConcurrencyGate.Entry> five = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            five.add(gate.enter(two, 0));
        }
        assertTrue(five.stream().allMatch(ConcurrencyGate.Entry::admitted));
        five.forEach(entry -> entry.slot().release());
    }

    @Test
    void memoryAdmitsNoMoreThanTheCapUnderConcurrentEntries() throws Exception {
        MemoryConcurrencyGate gate = new MemoryConcurrencyGate();
        admitsNoMoreThanTheCap(() -> gate);
    }

    @Test
    void redisAdmitsNoMoreThanTheCapUnderConcurrentEntries() throws Exception {
        List<RedisConcurrencyGate> instances = List.of(redisGate(), redisGate(), redisGate());
        int[] next = {0};
        admitsNoMoreThanTheCap(() -> instances.get(next[0]++ % instances.size()));
    }

    private void admitsNoMoreThanTheCap(Supplier<ConcurrencyGate> gates) throws Exception {
        TokenRecord token = token("racer", capped(3));
        ExecutorService pool = Executors.newFixedThreadPool(12);
        try {
            List<Callable<ConcurrencyGate.Entry>> entries = new ArrayList<>();
            for (int i = 0; i < 24; i++) {
                ConcurrencyGate gate = gates.get();
                entries.add(() -> gate.enter(token, 0));
            }
            long admitted = 0;
            for (Future<ConcurrencyGate.Entry> entry : pool.invokeAll(entries)) {
                if (entry.get().admitted()) {
                    admitted++;
                }
            }
            assertEquals(3, admitted);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aLeaseThatIsNotRenewedRunsOutAndOneThatIsStaysCounted() throws Exception {
        TokenRecord token = token("lease", capped(1));
        RedisConcurrencyGate dies = redisGate();
        assertTrue(dies.enter(token, 0).admitted());
        // The instance dies: it stops renewing, as a killed process would.
        dies.close();
        RedisConcurrencyGate lives = redisGate();
        assertFalse(lives.enter(token, 0).admitted(), "the dead instance's slot is still counted within its lease");
        long start = System.nanoTime();
        ConcurrencyGate.Entry back = Poll.until(LEASE.plusSeconds(5), () -> lives.enter(token, 0), ConcurrencyGate.Entry::admitted);
        assertTrue(back.admitted(), "the dead instance's lease ran out");
        assertTrue(System.nanoTime() - start >= LEASE.toNanos() / 2, "not before the lease could have run out");
        // This one is renewed: it outlives several leases.
        Thread.sleep(LEASE.multipliedBy(2).toMillis());
        assertFalse(redisGate().enter(token, 0).admitted(), "a renewed lease stays counted");
        back.slot().release();
    }
}
