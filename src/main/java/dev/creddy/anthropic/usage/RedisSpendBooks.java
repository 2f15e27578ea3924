package dev.creddy.anthropic.usage;

import dev.creddy.anthropic.token.RedisKeys;
import dev.creddy.anthropic.token.RedisLink;
import dev.creddy.anthropic.token.RedisScript;
import dev.creddy.anthropic.token.TokenRecord;
import io.lettuce.core.Range;
import io.lettuce.core.ScriptOutputType;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The dollar budgets of the {@link RedisUsageLedger}, shared by every instance:
 * <ul>
 * <li>{@code <prefix>usage:{<id>}} field {@code spent_micros}: what the token's settled requests were
 *     charged, beside its usage; {@code <prefix>usage:{<id>}:holds}: its reservations in flight, a sorted
 *     set of {@code <reservation id>:<micro-dollars>} scored by when each lapses (ms since the epoch).
 *     Both in the token's slot.</li>
 * <li>{@code <prefix>spend:{agent:<name>}}: the agent's charges per UTC hour (fields {@code h:<hour>}),
 *     and {@code …:holds} its reservations, in the agent's slot.</li>
 * </ul>
 * Reserving checks and holds in one script per budget, so no two instances can both take the last of
 * a budget; a request with both budgets reserves on the token first, then on the agent, and gives the
 * token's back when the agent refuses (the two live in different Cluster slots, so they cannot share a
 * script). A reservation that is never settled (its instance died) lapses after
 * {@link UsageLedger#HOLD_LEASE}: each script first drops the holds whose time has passed.
 *
 * <p>Thread-safe.
 */
final class RedisSpendBooks {


    /** Sums the live holds of KEYS[2] (after dropping the lapsed ones, ARGV[3] is now in ms). */
    private static final String HELD = """
            redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[3])
            local held = 0
            for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
              held = held + tonumber(string.match(member, ':(%d+)$'))
            end
            """;

    private static final RedisScript RESERVE_TOKEN = new RedisScript(RedisScript.GRANTS + """
            -- KEYS: the token's usage hash, its holds
            -- ARGV: budget, (unused), now (ms), lapses at (ms), member, holds expire in (ms)
            -- Returns {1 admitted or 0 refused, spent, held}.
            require({'zremrangebyscore', KEYS[2], '0', '1'}, {'zrange', KEYS[2], '0', '1'}, {'hget', KEYS[1], 'f'},
              {'zadd', KEYS[2], '0', 'm'}, {'pexpire', KEYS[2], '1'})
            """ + HELD + """
            local spent = tonumber(redis.call('HGET', KEYS[1], 'spent_micros') or '0')
            if spent + held >= tonumber(ARGV[1]) then
              return {0, string.format('%d', spent), string.format('%d', held)}
            end
            redis.call('ZADD', KEYS[2], ARGV[4], ARGV[5])
            redis.call('PEXPIRE', KEYS[2], ARGV[6])
            return {1, string.format('%d', spent), string.format('%d', held)}
            """);

    private static final RedisScript RESERVE_AGENT = new RedisScript(RedisScript.GRANTS + """
            -- KEYS: the agent's hourly charges, its holds
            -- ARGV: budget, current hour (hours since the epoch), now (ms), lapses at (ms), member, expire in (ms)
            -- Returns {1 admitted or 0 refused, spent in the window, held, oldest hour with a charge or -1}.
            require({'zremrangebyscore', KEYS[2], '0', '1'}, {'zrange', KEYS[2], '0', '1'}, {'hmget', KEYS[1], 'f'},
              {'zadd', KEYS[2], '0', 'm'}, {'pexpire', KEYS[2], '1'})
            """ + HELD + """
            local hour = tonumber(ARGV[2])
            local fields = {}
            for h = hour - 23, hour do
              fields[#fields + 1] = 'h:' .. string.format('%d', h)
            end
            local values = redis.call('HMGET', KEYS[1], unpack(fields))
            local spent, oldest = 0, -1
            for i, value in ipairs(values) do
              local charged = tonumber(value or '0') or 0
              if charged > 0 then
                spent = spent + charged
                if oldest < 0 then
                  oldest = hour - 24 + i
                end
              end
            end
            if spent + held >= tonumber(ARGV[1]) then
              return {0, string.format('%d', spent), string.format('%d', held), oldest}
            end
            redis.call('ZADD', KEYS[2], ARGV[4], ARGV[5])
            redis.call('PEXPIRE', KEYS[2], ARGV[6])
            return {1, string.format('%d', spent), string.format('%d', held), oldest}
            """);

    private static final RedisScript SETTLE_TOKEN = new RedisScript(RedisScript.GRANTS + """
            -- KEYS: the token's usage hash, its holds
            -- ARGV: member, charged (micro-dollars), usage expires in (ms), the cap
            require({'zrem', KEYS[2], 'm'}, {'hincrby', KEYS[1], 'f', '1'}, {'hset', KEYS[1], 'f', 'v'}, {'pexpire', KEYS[1], '1'})
            redis.call('ZREM', KEYS[2], ARGV[1])
            if ARGV[2] ~= '0' then
              if tonumber(redis.call('HINCRBY', KEYS[1], 'spent_micros', ARGV[2])) > tonumber(ARGV[4]) then
                redis.call('HSET', KEYS[1], 'spent_micros', ARGV[4])
              end
            end
            redis.call('PEXPIRE', KEYS[1], ARGV[3], 'NX')
            return 1
            """);

    private static final RedisScript SETTLE_AGENT = new RedisScript(RedisScript.GRANTS + """
            -- KEYS: the agent's hourly charges, its holds
            -- ARGV: member, charged (micro-dollars), current hour, expire in (ms), the cap
            require({'zrem', KEYS[2], 'm'}, {'hincrby', KEYS[1], 'f', '1'}, {'hset', KEYS[1], 'f', 'v'},
              {'hdel', KEYS[1], 'f'}, {'pexpire', KEYS[1], '1'})
            redis.call('ZREM', KEYS[2], ARGV[1])
            local hour = tonumber(ARGV[3])
            local field = 'h:' .. ARGV[3]
            if ARGV[2] ~= '0' then
              if tonumber(redis.call('HINCRBY', KEYS[1], field, ARGV[2])) > tonumber(ARGV[5]) then
                redis.call('HSET', KEYS[1], field, ARGV[5])
              end
            end
            -- Hours that left the window: the key never holds more than a day or so of them.
            redis.call('HDEL', KEYS[1], 'h:' .. string.format('%d', hour - 24), 'h:' .. string.format('%d', hour - 25))
            redis.call('PEXPIRE', KEYS[1], ARGV[4])
            return 1
            """);

    private final RedisLink link;
    private final RedisKeys keys;
    private final AtomicLong outstanding = new AtomicLong();
    private final Consumer<Throwable> dropped;

    /** @param dropped told of each settlement Redis could not take (the ledger counts and logs it) */
    RedisSpendBooks(RedisLink link, RedisKeys keys, Consumer<Throwable> dropped) {
        this.link = link;
        this.keys = keys;
        this.dropped = dropped;
    }

    SpendAdmission reserve(TokenRecord token, OptionalLong agentBudget, long estimate, Instant now) {
        String id = token.id().value();
        String holdId = SpendWindows.newHoldId();
        String member = holdId + ":" + estimate;
        String nowMs = Long.toString(now.toEpochMilli());
        String lapses = Long.toString(now.plus(SpendWindows.LEASE).toEpochMilli());
        String holdsExpire = Long.toString(SpendWindows.LEASE.toMillis());
        boolean onToken = token.limits().maxCostUsd().isPresent();
        if (onToken) {
            long budget = token.limits().maxCostUsd().getAsLong();
            List<Object> reply = link.call(redis -> RESERVE_TOKEN.<List<Object>>run(redis, ScriptOutputType.MULTI,
                    new String[] {keys.usage(id), keys.spendHolds(id)}, Long.toString(budget), "0", nowMs, lapses, member,
                    holdsExpire));
            if ((Long) reply.get(0) == 0L) {
                return SpendAdmission.refused(SpendAdmission.MAX_COST_USD, budget, Long.parseLong((String) reply.get(1)),
                        Long.parseLong((String) reply.get(2)), null);
            }
        }
        if (agentBudget.isPresent()) {
            String agent = token.agentName();
            long hour = SpendWindows.hour(now);
            List<Object> reply;
            try {
                reply = link.call(redis -> RESERVE_AGENT.<List<Object>>run(redis, ScriptOutputType.MULTI,
                        new String[] {keys.agentSpend(agent), keys.agentSpendHolds(agent)}, Long.toString(agentBudget.getAsLong()),
                        Long.toString(hour), nowMs, lapses, member, Long.toString(Duration.ofHours(SpendWindows.HOURS + 1).toMillis())));
            } catch (RuntimeException e) {
                if (onToken) {
                    release(id, member);
                }
                throw e;
            }
            if ((Long) reply.get(0) == 0L) {
                if (onToken) {
                    release(id, member);
                }
                long oldest = (Long) reply.get(3);
                return SpendAdmission.refused(SpendAdmission.AGENT_USD_PER_DAY, agentBudget.getAsLong(),
                        Long.parseLong((String) reply.get(1)), Long.parseLong((String) reply.get(2)),
                        SpendWindows.leavesWindow(oldest < 0 ? hour : oldest));
            }
        }
        outstanding.incrementAndGet();
        return SpendAdmission.admitted(new SpendHold(holdId, estimate, onToken, agentBudget.isPresent() ? token.agentName() : null));
    }

    /** Gives a token's reservation back at once (its agent refused the request). */
    private void release(String id, String member) {
        link.callAsync(redis -> redis.zrem(keys.spendHolds(id), member)).whenComplete((ignored, failure) -> {
            if (failure != null) {
                // It lapses with its lease.
                dropped.accept(failure);
            }
        });
    }

    /** Settles without waiting; returns what completes when Redis has answered (or the settlement was dropped). */
    CompletableFuture<Void> settle(TokenRecord token, SpendHold hold, long charged, Instant now) {
        outstanding.decrementAndGet();
        return write(token, hold.id() + ":" + hold.micros(), hold.onToken(), hold.agent(), charged, now);
    }

    /**
     * Charges without a reservation (a batch's results, whose cost arrives after the request that
     * created it): to the token's lifetime spend when it has {@code max_cost_usd}, to its agent's
     * current hour when {@code onAgent}. The settlement scripts do it: the hold they remove is none.
     */
    CompletableFuture<Void> charge(TokenRecord token, boolean onAgent, long charged, Instant now) {
        if (charged <= 0) {
            return CompletableFuture.completedFuture(null);
        }
        return write(token, "charge", token.limits().maxCostUsd().isPresent(), onAgent ? token.agentName() : null,
                charged, now);
    }

    private CompletableFuture<Void> write(TokenRecord token, String member, boolean onToken, String agent, long charged,
            Instant now) {
        String amount = Long.toString(Math.max(0, Math.min(UsageCounts.MAX_COST_PER_RECORD, charged)));
        String cap = Long.toString(UsageCounts.MAX_SUM);
        CompletableFuture<Void> done = CompletableFuture.completedFuture(null);
        if (onToken) {
            String id = token.id().value();
            String expires = Long.toString(Math.max(1, Duration.between(now,
                    token.expiresAt().plus(RedisUsageLedger.TOTAL_MARGIN)).toMillis()));
            done = link.<Long>callAsync(redis -> SETTLE_TOKEN.<Long>runAsync(redis, ScriptOutputType.INTEGER,
                    new String[] {keys.usage(id), keys.spendHolds(id)}, member, amount, expires, cap))
                    .toCompletableFuture().handle((ignored, failure) -> report(failure));
        }
        if (agent != null) {
            CompletableFuture<Void> agentDone = link.<Long>callAsync(redis -> SETTLE_AGENT.<Long>runAsync(redis,
                    ScriptOutputType.INTEGER, new String[] {keys.agentSpend(agent), keys.agentSpendHolds(agent)}, member, amount,
                    Long.toString(SpendWindows.hour(now)), Long.toString(Duration.ofHours(SpendWindows.HOURS + 1).toMillis()), cap))
                    .toCompletableFuture().handle((ignored, failure) -> report(failure));
            done = CompletableFuture.allOf(done, agentDone);
        }
        return done;
    }

    private Void report(Throwable failure) {
        if (failure != null) {
            dropped.accept(failure);
        }
        return null;
    }

    UsageLedger.Spend spendOf(TokenRecord token, Instant now) {
        String id = token.id().value();
        // Holds before charges: a settlement removes its hold and adds its charge in one script, so read
        // in this order a settled request is never missing from both (at worst it shows in both at once,
        // which understates what is left for a moment, never overstates it).
        long tokenHeld = held(link.call(redis -> redis.zrangebyscore(keys.spendHolds(id),
                Range.create((double) now.toEpochMilli(), Double.POSITIVE_INFINITY))));
        String spent = link.call(redis -> redis.hget(keys.usage(id), "spent_micros"));
        String agent = token.agentName();
        long hour = SpendWindows.hour(now);
        String[] fields = new String[SpendWindows.HOURS];
        for (int i = 0; i < fields.length; i++) {
            fields[i] = "h:" + (hour - SpendWindows.HOURS + 1 + i);
        }
        long agentHeld = held(link.call(redis -> redis.zrangebyscore(keys.agentSpendHolds(agent),
                Range.create((double) now.toEpochMilli(), Double.POSITIVE_INFINITY))));
        long agentSpent = 0;
        for (var value : link.call(redis -> redis.hmget(keys.agentSpend(agent), fields))) {
            if (value.hasValue()) {
                agentSpent = SpendWindows.add(agentSpent, Long.parseLong(value.getValue()));
            }
        }
        return new UsageLedger.Spend(spent == null ? 0 : Long.parseLong(spent), tokenHeld, agentSpent, agentHeld);
    }

    private static long held(List<String> members) {
        long sum = 0;
        for (String member : members) {
            sum = SpendWindows.add(sum, Long.parseLong(member.substring(member.lastIndexOf(':') + 1)));
        }
        return sum;
    }

    long outstanding() {
        return outstanding.get();
    }

}
