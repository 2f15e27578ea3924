package dev.creddy.anthropic.usage;

import dev.creddy.anthropic.token.LogThrottle;
import dev.creddy.anthropic.token.RedisKeys;
import dev.creddy.anthropic.token.RedisLink;
import dev.creddy.anthropic.token.RedisScript;
import dev.creddy.anthropic.token.TokenRecord;
import io.lettuce.core.ScriptOutputType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * The {@link ConcurrencyGate} every instance shares, in Redis, over the token store's connection. A
 * token's requests in flight are the members of {@code <prefix>concurrency:{<id>}} (in the token's
 * own Cluster slot), an agent's those of {@code <prefix>concurrency:{agent:<name>}}: one lease id
 * per exchange, scored by when its lease runs out, on Redis's own clock ({@code TIME}), so the
 * instances' clocks do not matter. Entering is one script per capped set: drop the leases that ran
 * out, count, add; so no two instances can both take the last slot.
 *
 * <p>While an exchange runs, its instance renews its leases every third of {@code concurrency-lease}
 * (one script per set, for all of the instance's leases in it); its end removes them. An instance
 * that dies stops renewing, and its leases run out: its slots come back within
 * {@code concurrency-lease} of its last renewal. A lease whose renewals all failed for a whole lease
 * (Redis out of reach that long) runs out too while its exchange goes on, which can then let the
 * cap be overshot by that exchange; a renewal never puts a lost lease back.
 *
 * <p>Thread-safe. Entering waits for Redis (at most the command timeout), releasing never does.
 */
public final class RedisConcurrencyGate implements ConcurrencyGate, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(RedisConcurrencyGate.class.getName());

    /** Redis's clock in ms; Redis 3.2 to 4 need effects replication for a script that writes after {@code TIME}. */
    private static final String NOW = """
            if redis.replicate_commands then
              redis.replicate_commands()
            end
            local clock = redis.call('TIME')
            local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
            """;

    private static final RedisScript ENTER = new RedisScript(RedisScript.GRANTS + NOW + """
            -- KEYS: the set of leases
            -- ARGV: lease id, cap, lease ms
            require({'zadd', KEYS[1], '0', 'm'}, {'zremrangebyscore', KEYS[1], '0', '0'}, {'pexpire', KEYS[1], '1'})
            redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
            if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
              return 0
            end
            redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
            redis.call('PEXPIRE', KEYS[1], ARGV[3])
            return 1
            """);

    private static final RedisScript RENEW = new RedisScript(RedisScript.GRANTS + NOW + """
            -- KEYS: the set of leases
            -- ARGV: lease ms, lease ids
            require({'zadd', KEYS[1], 'XX', '0', 'm'}, {'pexpire', KEYS[1], '1'})
            local renewed = 0
            local expiry = now + tonumber(ARGV[1])
            for i = 2, #ARGV do
              -- XX: a lease that already ran out is not put back; its slot may be someone else's now.
              redis.call('ZADD', KEYS[1], 'XX', expiry, ARGV[i])
              renewed = renewed + 1
            end
            redis.call('PEXPIRE', KEYS[1], ARGV[1])
            return renewed
            """);

    private final RedisLink link;
    private final RedisKeys keys;
    private final Duration lease;
    private final String instance = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
    private final AtomicLong leaseNumbers = new AtomicLong();
    /** Per set, the leases this instance holds in it: what the renewer renews. */
    private final Map<String, Set<String>> leases = new ConcurrentHashMap<>();
    private final AtomicLong held = new AtomicLong();
    private final LogThrottle renewWarnings = new LogThrottle(Duration.ofSeconds(10));
    private final ScheduledExecutorService renewer;

    /** @param lease how long a lease lives without renewal ({@code concurrency-lease}) */
    public RedisConcurrencyGate(RedisLink link, Duration lease) {
        this.link = link;
        this.keys = new RedisKeys(link.keyPrefix());
        this.lease = lease;
        this.renewer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "creddy-concurrency-leases");
            thread.setDaemon(true);
            return thread;
        });
        long every = Math.max(1, lease.toMillis() / 3);
        renewer.scheduleWithFixedDelay(this::renewAll, every, every, TimeUnit.MILLISECONDS);
    }

    @Override
    public Entry enter(TokenRecord token, long agentCap) {
        long tokenCap = token.limits().maxConcurrent().orElse(0);
        if (tokenCap == 0 && agentCap == 0) {
            return Entry.FREE;
        }
        String leaseId = instance + ":" + leaseNumbers.incrementAndGet();
        String tokenSet = tokenCap == 0 ? null : keys.concurrency(token.id().value());
        String agentSet = agentCap == 0 ? null : keys.agentConcurrency(token.agentName());
        if (tokenSet != null && !take(tokenSet, leaseId, tokenCap)) {
            return Entry.refused(MAX_CONCURRENT, tokenCap);
        }
        if (agentSet != null) {
            boolean taken;
            try {
                taken = take(agentSet, leaseId, agentCap);
            } catch (RuntimeException e) {
                give(tokenSet, leaseId);
                throw e;
            }
            if (!taken) {
                give(tokenSet, leaseId);
                return Entry.refused(AGENT_CONCURRENCY, agentCap);
            }
        }
        held.incrementAndGet();
        AtomicBoolean released = new AtomicBoolean();
        return new Entry(() -> {
            if (released.compareAndSet(false, true)) {
                give(tokenSet, leaseId);
                give(agentSet, leaseId);
                held.decrementAndGet();
            }
        }, null, 0);
    }

    @Override
    public long inUse() {
        return held.get();
    }

    private boolean take(String set, String leaseId, long cap) {
        // Known here before Redis answers, so that a renewal between the two already renews it.
        leases.computeIfAbsent(set, key -> ConcurrentHashMap.newKeySet()).add(leaseId);
        boolean taken = false;
        try {
            Long answer = link.call(redis -> ENTER.<Long>run(redis, ScriptOutputType.INTEGER, new String[] {set}, leaseId,
                    Long.toString(cap), Long.toString(lease.toMillis())));
            taken = answer != null && answer == 1L;
            return taken;
        } finally {
            if (!taken) {
                forget(set, leaseId);
            }
        }
    }

    /** Gives a lease back without waiting; should Redis not take the removal, the lease runs out. */
    private void give(String set, String leaseId) {
        if (set == null) {
            return;
        }
        forget(set, leaseId);
        link.<Long>callAsync(redis -> redis.zrem(set, leaseId).toCompletableFuture()).whenComplete((removed, failure) -> {
            if (failure != null && renewWarnings.allow()) {
                LOG.warning(() -> "concurrency: a slot could not be given back (" + failure.getClass().getSimpleName()
                        + "); its lease runs out within " + lease.toSeconds() + "s (logged at most every 10s)");
            }
        });
    }

    private void forget(String set, String leaseId) {
        leases.computeIfPresent(set, (key, ids) -> {
            ids.remove(leaseId);
            return ids.isEmpty() ? null : ids;
        });
    }

    private void renewAll() {
        for (Map.Entry<String, Set<String>> entry : leases.entrySet()) {
            List<String> args = new ArrayList<>(entry.getValue().size() + 1);
            args.add(Long.toString(lease.toMillis()));
            args.addAll(entry.getValue());
            if (args.size() == 1) {
                continue;
            }
            String set = entry.getKey();
            try {
                link.<Long>callAsync(redis -> RENEW.<Long>runAsync(redis, ScriptOutputType.INTEGER, new String[] {set},
                        args.toArray(String[]::new))).whenComplete((renewed, failure) -> {
                            if (failure != null && renewWarnings.allow()) {
                                LOG.warning(() -> "concurrency: leases could not be renewed (" + failure.getClass().getSimpleName()
                                        + "); they run out " + lease.toSeconds() + "s after the last renewal (logged at most every 10s)");
                            }
                        });
            } catch (RuntimeException e) {
                // The renewer must outlive an outage; the next round tries again.
                if (renewWarnings.allow()) {
                    LOG.warning(() -> "concurrency: leases could not be renewed (" + e.getClass().getSimpleName() + ")");
                }
            }
        }
    }

    /** Stops renewing; leases still held run out in Redis. */
    @Override
    public void close() {
        renewer.shutdownNow();
    }
}
