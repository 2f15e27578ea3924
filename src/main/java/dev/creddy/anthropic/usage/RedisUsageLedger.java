package dev.creddy.anthropic.usage;

import dev.creddy.anthropic.token.LogThrottle;
import dev.creddy.anthropic.token.RedisLink;
import dev.creddy.anthropic.token.TokenRecord;
import dev.creddy.anthropic.token.TokenStoreUnavailableException;
import io.lettuce.core.ScriptOutputType;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Logger;

/**
 * The usage ledger every instance shares, in Redis, over the token store's own connection
 * ({@link dev.creddy.anthropic.token.RedisTokenStore#link()}). Per token id (never the secret or its
 * digest) it keeps:
 * <ul>
 * <li>{@code creddy:usage:window:<id>:<yyyy-MM-ddTHH:mm>}: a hash of {@code requests} and {@code tokens}
 *     in that UTC minute, which Redis expires a minute after the minute ends;</li>
 * <li>{@code creddy:usage:total:<id>}: a hash of the token's life total, one field per {@link Usage}
 *     part ({@code requests}, {@code input_tokens}, {@code output_tokens},
 *     {@code cache_creation_input_tokens}, {@code cache_read_input_tokens}, {@code errors}), which
 *     Redis expires an hour after the token does;</li>
 * <li>{@code creddy:usage:hour:<yyyy-MM-ddTHH>}: one hash per UTC hour for every token, with the
 *     fields {@code <id>:<part>} for each part and {@code <id>:agent} for the agent's name, which Redis
 *     expires the retention after the hour ends. A report reads one hash per hour it spans, never
 *     the keyspace.</li>
 * </ul>
 *
 * <p>Windows, and how far limits can be overshot, are as {@link UsageLedger} says: fixed UTC
 * minutes; tokens count in the minute their exchange ended; requests in flight at once can together
 * overshoot {@code tpm} and the budget by what they use. {@code rpm} is never overshot, across all
 * instances: admission is one Lua script, so checking and counting are atomic in Redis. Each
 * instance's clock names the minute and sets the expiries (relative to it, whatever the Redis
 * host's clock says), so instances' clocks should agree (NTP) for their windows to line up.
 *
 * <p>Recording never waits: the script is sent on the shared connection and its answer arrives on a
 * Lettuce thread. What Redis could not take is dropped, counted ({@link #droppedRecords()}) and
 * logged at most every ten seconds. Admission, usage and reports throw
 * {@link TokenStoreUnavailableException} within the command timeout while Redis is out of reach.
 *
 * <p>Thread-safe. The token store opens and closes the connection; {@link #close()} only waits,
 * briefly, for records still on their way.
 */
public final class RedisUsageLedger implements UsageLedger, AutoCloseable {

    static final String WINDOW_KEY = "creddy:usage:window:";
    static final String TOTAL_KEY = "creddy:usage:total:";
    static final String HOUR_KEY = "creddy:usage:hour:";
    /** Keeps a window a little past its minute, for instances whose clocks run a little behind. */
    static final Duration WINDOW_MARGIN = Duration.ofMinutes(1);
    /** Keeps a life total past its token's expiry, for exchanges admitted just before it that end after. */
    static final Duration TOTAL_MARGIN = Duration.ofHours(1);

    private static final Logger LOG = Logger.getLogger(RedisUsageLedger.class.getName());
    private static final DateTimeFormatter MINUTE = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter HOUR = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH").withZone(ZoneOffset.UTC);
    private static final String[] PARTS = {"requests", "input_tokens", "output_tokens", "cache_creation_input_tokens",
        "cache_read_input_tokens", "errors"};
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

    /** Mirrors {@link UsageWindows#refusal}: the same limits in the same order. */
    private static final String ADMIT = """
            -- KEYS: window hash, life total hash
            -- ARGV: rpm, tpm, max_tokens_total (0: no limit), window expires in (ms)
            -- Returns the refusing limit ('' when admitted), requests and tokens in the window, life total tokens.
            local window = redis.call('HMGET', KEYS[1], 'requests', 'tokens')
            local requests, tokens = tonumber(window[1]) or 0, tonumber(window[2]) or 0
            local total = 0
            for _, part in ipairs(redis.call('HMGET', KEYS[2], 'input_tokens', 'output_tokens',
                'cache_creation_input_tokens', 'cache_read_input_tokens')) do
              total = total + (tonumber(part) or 0)
            end
            local rpm, tpm, budget = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
            local refused = ''
            if budget > 0 and total >= budget then
              refused = 'max_tokens_total'
            elseif tpm > 0 and tokens >= tpm then
              refused = 'tpm'
            elseif rpm > 0 and requests >= rpm then
              refused = 'rpm'
            else
              requests = redis.call('HINCRBY', KEYS[1], 'requests', 1)
              redis.call('PEXPIRE', KEYS[1], ARGV[4])
            end
            return {refused, requests, tokens, total}
            """;

    private static final String RECORD = """
            -- KEYS: window hash, life total hash, hour hash
            -- ARGV: window, total and hour expire in (ms), token id, agent name, the six parts in PARTS order, the cap
            local parts = {'requests', 'input_tokens', 'output_tokens', 'cache_creation_input_tokens',
              'cache_read_input_tokens', 'errors'}
            local tokens = 0
            local cap = ARGV[12]
            -- Sums saturate at cap (10^15, exact in a Lua number): each count is already held to a
            -- billion, so HINCRBY itself never overflows, and no sum can wrap and lift a budget.
            local function add(key, field, count)
              if tonumber(redis.call('HINCRBY', key, field, count)) > tonumber(cap) then
                redis.call('HSET', key, field, cap)
              end
            end
            for i, part in ipairs(parts) do
              -- The counts go to Redis as they came, in decimal: a Lua number could turn into 1e+15.
              local count = ARGV[5 + i]
              add(KEYS[2], part, count)
              add(KEYS[3], ARGV[4] .. ':' .. part, count)
              if i >= 2 and i <= 5 then
                tokens = tokens + tonumber(count)
              end
            end
            add(KEYS[1], 'tokens', string.format('%d', tokens))
            redis.call('HSET', KEYS[3], ARGV[4] .. ':agent', ARGV[5])
            redis.call('PEXPIRE', KEYS[1], ARGV[1])
            redis.call('PEXPIRE', KEYS[2], ARGV[2])
            redis.call('PEXPIRE', KEYS[3], ARGV[3])
            return 1
            """;

    private final RedisLink link;
    private final Duration retention;
    private final LongAdder dropped = new LongAdder();
    private final LogThrottle dropWarnings = new LogThrottle(Duration.ofSeconds(10));
    private final LogThrottle absurdWarnings = new LogThrottle(Duration.ofSeconds(10));
    private final Set<CompletableFuture<Void>> inFlight = ConcurrentHashMap.newKeySet();

    /**
     * @param link the token store's connection, already started
     * @param retention how long the hourly history is kept, at least an hour
     */
    public RedisUsageLedger(RedisLink link, Duration retention) {
        this.link = link;
        this.retention = UsageWindows.checkRetention(retention);
    }

    @Override
    public Admission admit(TokenRecord token, Instant now) {
        String id = token.id().value();
        List<Object> reply = link.call(redis -> redis.<List<Object>>eval(ADMIT, ScriptOutputType.MULTI,
                new String[] {windowKey(id, now), TOTAL_KEY + id}, limit(token.limits().rpm()),
                limit(token.limits().tpm()), limit(token.limits().maxTokensTotal()),
                expiresIn(now, UsageWindows.windowEnd(now).plus(WINDOW_MARGIN))));
        String refused = (String) reply.get(0);
        return new Admission(refused.isEmpty() ? Optional.empty() : Optional.of(refused), (Long) reply.get(1),
                (Long) reply.get(2), (Long) reply.get(3), UsageWindows.windowEnd(now));
    }

    @Override
    public void record(TokenRecord token, Usage reported, Instant now) {
        Usage used = UsageCounts.bounded(reported);
        if (!used.equals(reported) && absurdWarnings.allow()) {
            LOG.warning(() -> "usage: token " + token.id() + " was reported usage out of bounds (negative, or over "
                    + UsageCounts.MAX_PER_RECORD + " per part); charged " + used + " (logged at most every 10s)");
        }
        String id = token.id().value();
        String[] keys = {windowKey(id, now), TOTAL_KEY + id, hourKey(UsageWindows.hourStart(now))};
        String[] args = {
            expiresIn(now, UsageWindows.windowEnd(now).plus(WINDOW_MARGIN)),
            expiresIn(now, token.expiresAt().plus(TOTAL_MARGIN)),
            expiresIn(now, UsageWindows.hourStart(now).plus(UsageWindows.HOUR).plus(retention)),
            id, token.agentName(),
            Long.toString(used.requests()), Long.toString(used.inputTokens()), Long.toString(used.outputTokens()),
            Long.toString(used.cacheCreationInputTokens()), Long.toString(used.cacheReadInputTokens()),
            Long.toString(used.errors()), Long.toString(UsageCounts.MAX_SUM)};
        // Tracked before it is sent, so that an answer arriving at once still finds it to remove.
        CompletableFuture<Void> tracked = new CompletableFuture<>();
        inFlight.add(tracked);
        link.<Long>callAsync(redis -> redis.eval(RECORD, ScriptOutputType.INTEGER, keys, args)).whenComplete((ignored, failure) -> {
            if (failure != null) {
                dropped.increment();
                if (dropWarnings.allow()) {
                    LOG.warning(() -> "usage: a usage record was dropped (" + failure.getMessage() + "); "
                            + dropped.sum() + " dropped since start (logged at most every 10s)");
                }
            }
            inFlight.remove(tracked);
            tracked.complete(null);
        });
    }

    @Override
    public long droppedRecords() {
        return dropped.sum();
    }

    @Override
    public TokenUsage usageOf(TokenRecord token, Instant now) {
        String id = token.id().value();
        // Both sent before either is awaited: one round trip's wait, in the order sent.
        CompletableFuture<Map<String, String>> window = link.<Map<String, String>>callAsync(
                redis -> redis.hgetall(windowKey(id, now))).toCompletableFuture();
        CompletableFuture<Map<String, String>> total = link.<Map<String, String>>callAsync(
                redis -> redis.hgetall(TOTAL_KEY + id)).toCompletableFuture();
        Map<String, String> windowFields = await(window);
        Map<String, String> totalFields = await(total);
        return new TokenUsage(usage(totalFields, ""), count(windowFields.get("requests")), count(windowFields.get("tokens")),
                UsageWindows.windowEnd(now));
    }

    @Override
    public List<UsageLine> report(Optional<String> agentName, Instant from, Instant to) {
        List<CompletableFuture<Map<String, String>>> replies = new ArrayList<>();
        for (Instant hour : UsageWindows.hoursOverlapping(from, to, retention)) {
            replies.add(link.<Map<String, String>>callAsync(redis -> redis.hgetall(hourKey(hour))).toCompletableFuture());
        }
        Map<String, UsageLine> byToken = new HashMap<>();
        for (CompletableFuture<Map<String, String>> reply : replies) {
            Map<String, String> fields = await(reply);
            for (Map.Entry<String, String> field : fields.entrySet()) {
                if (!field.getKey().endsWith(":agent")) {
                    continue;
                }
                String id = field.getKey().substring(0, field.getKey().length() - ":agent".length());
                String agent = field.getValue();
                if (agentName.isEmpty() || agentName.get().equals(agent)) {
                    byToken.merge(id, new UsageLine(id, agent, usage(fields, id + ":")),
                            (a, b) -> new UsageLine(a.tokenId(), a.agentName(), UsageCounts.sum(a.usage(), b.usage())));
                }
            }
        }
        return byToken.values().stream().sorted(UsageWindows.REPORT_ORDER).toList();
    }

    /** Waits, at most {@link #CLOSE_WAIT}, for the records still on their way to Redis. */
    @Override
    public void close() {
        try {
            awaitRecords(CLOSE_WAIT);
        } catch (TimeoutException e) {
            LOG.warning(() -> "usage: " + inFlight.size() + " usage record(s) were still on their way to Redis at shutdown");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits for the records sent so far to be answered (added or dropped). */
    void awaitRecords(Duration atMost) throws TimeoutException, InterruptedException {
        try {
            CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new)).get(atMost.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("a tracked record never fails", e);
        }
    }

    private static String windowKey(String id, Instant now) {
        return WINDOW_KEY + id + ":" + MINUTE.format(UsageWindows.windowStart(now));
    }

    static String hourKey(Instant hour) {
        return HOUR_KEY + HOUR.format(hour);
    }

    /**
     * How long from {@code now} until {@code end}, for PEXPIRE: relative, so that the instance's clock
     * alone decides, whatever the Redis host's says. A key whose end has passed goes at once.
     */
    private static String expiresIn(Instant now, Instant end) {
        return Long.toString(Math.max(1, Duration.between(now, end).toMillis()));
    }

    private static String limit(java.util.OptionalLong limit) {
        return Long.toString(limit.orElse(0));
    }

    /** A usage from hash fields named {@code <prefix><part>}. */
    private static Usage usage(Map<String, String> fields, String prefix) {
        long[] counts = new long[PARTS.length];
        for (int i = 0; i < PARTS.length; i++) {
            counts[i] = count(fields.get(prefix + PARTS[i]));
        }
        return new Usage(counts[0], counts[1], counts[2], counts[3], counts[4], counts[5]);
    }

    private static long count(String value) {
        return value == null ? 0 : Long.parseLong(value);
    }

    /** A reply from {@link RedisLink#callAsync}, waited for at most the command timeout Lettuce holds it to. */
    private static <T> T await(CompletableFuture<T> reply) {
        try {
            return reply.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof TokenStoreUnavailableException unavailable) {
                // Thrown anew, so that its trace shows the caller rather than a Lettuce thread.
                throw new TokenStoreUnavailableException(unavailable.getMessage(), unavailable);
            }
            throw e;
        }
    }
}
