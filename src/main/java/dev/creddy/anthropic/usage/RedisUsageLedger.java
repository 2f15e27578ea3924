package dev.creddy.anthropic.usage;

import dev.creddy.anthropic.token.LogThrottle;
import dev.creddy.anthropic.token.RedisFailure;
import dev.creddy.anthropic.token.RedisKeys;
import dev.creddy.anthropic.token.RedisLink;
import dev.creddy.anthropic.token.RedisScript;
import dev.creddy.anthropic.token.TokenRecord;
import dev.creddy.anthropic.token.TokenStoreUnavailableException;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.ScriptOutputType;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
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
 * digest), with the id as hash tag so that one script's keys share a Cluster slot:
 * <ul>
 * <li>{@code <prefix>usage:{<id>}}: one hash with the token's life total, one field per {@link Usage}
 *     part ({@code requests}, {@code input_tokens}, {@code output_tokens},
 *     {@code cache_creation_input_tokens}, {@code cache_read_input_tokens}, {@code errors}), and its
 *     current window: {@code w} (the UTC minute, as minutes since the epoch), {@code wr} and
 *     {@code wt} (requests and tokens in it). Redis expires it an hour after the token does.</li>
 * <li>{@code <prefix>usage:{<id>}:hour:<yyyy-MM-ddTHH>}: the token's usage in that UTC hour, one field
 *     per part and {@code agent}, which Redis expires the retention after the hour ends. Bounded: one
 *     small key per token and hour, never one hash for every token.</li>
 * <li>{@code <prefix>{usage-hour:<yyyy-MM-ddTHH>}:tokens}: the tokens with usage in that hour, as
 *     members {@code <agent>\u0001<id>} scored 0, so a report reads them in its own order (agent, then
 *     id), a bounded batch per command, and one agent's as a range. Agent names hold no control
 *     characters, so the separator cannot occur in one.</li>
 * </ul>
 *
 * <p>Few writes per forwarded request: admission is one write (the window's request count) and a
 * record writes only the parts that are not zero, the window's tokens and, once per token and hour,
 * the agent and the index entry. Expiries are set with {@code PEXPIRE … NX}, which writes nothing
 * when the key has one already. Scripts go by {@code EVALSHA}.
 *
 * <p>Windows, and how far limits can be overshot, are as {@link UsageLedger} says: fixed UTC
 * minutes; tokens count in the minute their exchange ended; requests in flight at once can together
 * overshoot {@code tpm} and the budget by what they use. {@code rpm} is never overshot, across all
 * instances: admission is one Lua script, so checking and counting are atomic in Redis. Each
 * instance's clock names the minute and sets the expiries (relative to it, whatever the Redis
 * host's clock says), so instances' clocks should agree (NTP) for their windows to line up. Counts
 * are held to {@link UsageCounts}' bounds and sums saturate, in the scripts as in memory.
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

    /** Keeps a life total past its token's expiry, for exchanges admitted just before it that end after. */
    static final Duration TOTAL_MARGIN = Duration.ofHours(1);
    /** Separates agent and id in an hour index's members; no agent name holds a control character. */
    static final String SEPARATOR = "\u0001";

    private static final Logger LOG = Logger.getLogger(RedisUsageLedger.class.getName());
    private static final DateTimeFormatter HOUR = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH").withZone(ZoneOffset.UTC);
    private static final String[] PARTS = {"requests", "input_tokens", "output_tokens", "cache_creation_input_tokens",
        "cache_read_input_tokens", "errors", "cost_micros", "unpriced", "partial"};
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

    /** Mirrors {@link UsageWindows#refusal}: the same limits in the same order. */
    private static final RedisScript ADMIT = new RedisScript(RedisScript.GRANTS + """
            -- KEYS: the token's usage hash
            -- ARGV: rpm, tpm, max_tokens_total (0: no limit), current window (minutes since the epoch), expires in (ms)
            -- Returns the refusing limit ('' when admitted), requests and tokens in the window, life total tokens.
            require({'hincrby', KEYS[1], 'f', '1'}, {'hset', KEYS[1], 'f', 'v'}, {'pexpire', KEYS[1], '1'})
            local f = redis.call('HMGET', KEYS[1], 'w', 'wr', 'wt', 'input_tokens', 'output_tokens',
              'cache_creation_input_tokens', 'cache_read_input_tokens')
            local current = f[1] == ARGV[4]
            local requests = current and (tonumber(f[2]) or 0) or 0
            local tokens = current and (tonumber(f[3]) or 0) or 0
            local total = (tonumber(f[4]) or 0) + (tonumber(f[5]) or 0) + (tonumber(f[6]) or 0) + (tonumber(f[7]) or 0)
            local rpm, tpm, budget = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
            local refused = ''
            if budget > 0 and total >= budget then
              refused = 'max_tokens_total'
            elseif tpm > 0 and tokens >= tpm then
              refused = 'tpm'
            elseif rpm > 0 and requests >= rpm then
              refused = 'rpm'
            elseif current then
              requests = redis.call('HINCRBY', KEYS[1], 'wr', 1)
            else
              requests = 1
              redis.call('HSET', KEYS[1], 'w', ARGV[4], 'wr', 1, 'wt', 0)
            end
            if refused == '' then
              redis.call('PEXPIRE', KEYS[1], ARGV[5], 'NX')
            end
            return {refused, requests, tokens, string.format('%d', total)}
            """);

    private static final RedisScript RECORD = new RedisScript(RedisScript.GRANTS + """
            -- KEYS: the token's usage hash, its hour hash
            -- ARGV: usage and hour expire in (ms), agent name, current window, the cap, then the nine parts in PARTS order
            -- Returns 1 when this was the token's first record in the hour (its index entry is due), else 0.
            require({'hincrby', KEYS[1], 'f', '1'}, {'hset', KEYS[1], 'f', 'v'}, {'pexpire', KEYS[1], '1'},
              {'hincrby', KEYS[2], 'f', '1'}, {'hsetnx', KEYS[2], 'f', 'v'}, {'pexpire', KEYS[2], '1'})
            local parts = {'requests', 'input_tokens', 'output_tokens', 'cache_creation_input_tokens',
              'cache_read_input_tokens', 'errors', 'cost_micros', 'unpriced', 'partial'}
            local cap = tonumber(ARGV[5])
            -- Sums saturate at the cap (10^15, exact in a Lua number): each count is already held to a
            -- billion, so HINCRBY itself never overflows, and no sum can wrap and lift a budget.
            local function add(key, field, count)
              if tonumber(redis.call('HINCRBY', key, field, count)) > cap then
                redis.call('HSET', key, field, ARGV[5])
              end
            end
            local tokens = 0
            for i, part in ipairs(parts) do
              -- The counts go to Redis as they came, in decimal: a Lua number could turn into 1e+15.
              local count = ARGV[5 + i]
              if count ~= '0' then
                add(KEYS[1], part, count)
                add(KEYS[2], part, count)
                if i >= 2 and i <= 5 then
                  tokens = tokens + tonumber(count)
                end
              end
            end
            if redis.call('HGET', KEYS[1], 'w') == ARGV[4] then
              if tokens > 0 then
                add(KEYS[1], 'wt', string.format('%d', tokens))
              end
            else
              redis.call('HSET', KEYS[1], 'w', ARGV[4], 'wr', 0, 'wt', string.format('%d', tokens))
            end
            redis.call('PEXPIRE', KEYS[1], ARGV[1], 'NX')
            local first = redis.call('HSETNX', KEYS[2], 'agent', ARGV[3])
            redis.call('PEXPIRE', KEYS[2], ARGV[2], 'NX')
            return first
            """);

    private static final RedisScript INDEX_HOUR = new RedisScript(RedisScript.GRANTS + """
            -- KEYS: the hour's index
            -- ARGV: member (agent, separator, id), expires in (ms)
            require({'zadd', KEYS[1], '0', 'm'}, {'pexpire', KEYS[1], '1'})
            redis.call('ZADD', KEYS[1], 0, ARGV[1])
            redis.call('PEXPIRE', KEYS[1], ARGV[2], 'NX')
            return 1
            """);

    private final RedisLink link;
    private final RedisKeys keys;
    private final Duration retention;
    private final LongAdder dropped = new LongAdder();
    private final Map<RedisFailure.Kind, LongAdder> droppedBy = new EnumMap<>(RedisFailure.Kind.class);
    private final LogThrottle dropWarnings = new LogThrottle(Duration.ofSeconds(10));
    private final LogThrottle absurdWarnings = new LogThrottle(Duration.ofSeconds(10));
    private final Set<CompletableFuture<Void>> inFlight = ConcurrentHashMap.newKeySet();
    private final RedisSpendBooks spend;
    private final RedisBatchCharges batches;

    /**
     * @param link the token store's connection, already started
     * @param retention how long the hourly history is kept, at least an hour
     */
    public RedisUsageLedger(RedisLink link, Duration retention) {
        this.link = link;
        this.keys = new RedisKeys(link.keyPrefix());
        this.retention = UsageWindows.checkRetention(retention);
        // Filled once, before any record: from then on the map is only read, by any thread.
        for (RedisFailure.Kind kind : RedisFailure.Kind.values()) {
            droppedBy.put(kind, new LongAdder());
        }
        this.spend = new RedisSpendBooks(link, keys, this::dropped);
        this.batches = new RedisBatchCharges(link);
    }

    /** One write Redis could not take: counted and logged, at most every ten seconds. */
    private void dropped(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        dropped.increment();
        droppedBy.get(reason(cause)).increment();
        if (dropWarnings.allow()) {
            LOG.warning(() -> "usage: a usage record was dropped (" + cause.getMessage() + "); "
                    + dropped.sum() + " dropped since start (logged at most every 10s)");
        }
    }

    @Override
    public SpendAdmission reserve(TokenRecord token, java.util.OptionalLong agentBudgetMicros, long estimateMicros, Instant now) {
        return spend.reserve(token, agentBudgetMicros, estimateMicros, now);
    }

    @Override
    public void settle(TokenRecord token, SpendHold hold, long chargedMicros, Instant now) {
        CompletableFuture<Void> tracked = new CompletableFuture<>();
        inFlight.add(tracked);
        spend.settle(token, hold, chargedMicros, now).whenComplete((ignored, failure) -> {
            inFlight.remove(tracked);
            tracked.complete(null);
        });
    }

    @Override
    public void recordBatchResults(TokenRecord token, String batchId, Usage download, boolean onAgentBudget, Instant now) {
        CompletableFuture<Void> tracked = new CompletableFuture<>();
        inFlight.add(tracked);
        CompletableFuture<Usage> claimed;
        try {
            claimed = batches.claim(batchId, download, now).toCompletableFuture();
        } catch (RuntimeException e) {
            claimed = CompletableFuture.failedFuture(e);
        }
        claimed.handle((fresh, failure) -> {
            if (failure != null) {
                // The request still counts; the lines stay unclaimed, for the next download to charge.
                dropped(failure);
                return recorded(token, BatchCharges.requestOf(download), now);
            }
            return CompletableFuture.allOf(recorded(token, BatchCharges.requestOf(download).plus(fresh), now),
                    spend.charge(token, onAgentBudget, fresh.costMicros(), now));
        }).thenCompose(charged -> charged).whenComplete((ignored, failure) -> {
            inFlight.remove(tracked);
            tracked.complete(null);
        });
    }

    @Override
    public Spend spendOf(TokenRecord token, Instant now) {
        return spend.spendOf(token, now);
    }

    @Override
    public long reservationsOutstanding() {
        return spend.outstanding();
    }

    @Override
    public Admission admit(TokenRecord token, Instant now) {
        String id = token.id().value();
        List<Object> reply = link.call(redis -> ADMIT.<List<Object>>run(redis, ScriptOutputType.MULTI,
                new String[] {keys.usage(id)}, limit(token.limits().rpm()), limit(token.limits().tpm()),
                limit(token.limits().maxTokensTotal()), window(now), expiresIn(now, token.expiresAt().plus(TOTAL_MARGIN))));
        String refused = (String) reply.get(0);
        return new Admission(refused.isEmpty() ? Optional.empty() : Optional.of(refused), (Long) reply.get(1),
                (Long) reply.get(2), Long.parseLong((String) reply.get(3)), UsageWindows.windowEnd(now));
    }

    @Override
    public void record(TokenRecord token, Usage reported, Instant now) {
        recorded(token, reported, now);
    }

    /** Records without waiting; returns what completes once Redis has answered (or the record was dropped). */
    private CompletableFuture<Void> recorded(TokenRecord token, Usage reported, Instant now) {
        Usage used = UsageCounts.bounded(reported);
        if (!used.equals(reported) && absurdWarnings.allow()) {
            LOG.warning(() -> "usage: token " + token.id() + " was reported usage out of bounds (negative, or over "
                    + UsageCounts.MAX_PER_RECORD + " per part); charged " + used + " (logged at most every 10s)");
        }
        String id = token.id().value();
        String hour = HOUR.format(UsageWindows.hourStart(now));
        String hourExpiry = expiresIn(now, UsageWindows.hourStart(now).plus(UsageWindows.HOUR).plus(retention));
        String[] recordKeys = {keys.usage(id), keys.usageHour(id, hour)};
        String[] args = {
            expiresIn(now, token.expiresAt().plus(TOTAL_MARGIN)), hourExpiry, token.agentName(), window(now),
            Long.toString(UsageCounts.MAX_SUM),
            Long.toString(used.requests()), Long.toString(used.inputTokens()), Long.toString(used.outputTokens()),
            Long.toString(used.cacheCreationInputTokens()), Long.toString(used.cacheReadInputTokens()),
            Long.toString(used.errors()), Long.toString(used.costMicros()), Long.toString(used.unpriced()),
            Long.toString(used.partial())};
        // Tracked before it is sent, so that an answer arriving at once still finds it to remove.
        CompletableFuture<Void> tracked = new CompletableFuture<>();
        inFlight.add(tracked);
        link.<Long>callAsync(redis -> RECORD.<Long>runAsync(redis, ScriptOutputType.INTEGER, recordKeys, args))
                .thenCompose(first -> first == 1L
                        // The hour's index is in another slot (the hour's), so it is a command of its own,
                        // sent once per token and hour; a report finds the token's hour key through it.
                        ? link.<Long>callAsync(redis -> INDEX_HOUR.<Long>runAsync(redis, ScriptOutputType.INTEGER,
                                new String[] {keys.usageHourIndex(hour)}, token.agentName() + SEPARATOR + id, hourExpiry))
                        : CompletableFuture.completedFuture(0L))
                .whenComplete((ignored, failure) -> {
                    if (failure != null) {
                        dropped(failure);
                    }
                    inFlight.remove(tracked);
                    tracked.complete(null);
                });
        return tracked;
    }

    @Override
    public long droppedRecords() {
        return dropped.sum();
    }

    @Override
    public long droppedRecordsFor(RedisFailure.Kind reason) {
        return droppedBy.get(reason).sum();
    }

    /** Why Redis did not take a record: the link says what it saw; anything else is classified here. */
    private static RedisFailure.Kind reason(Throwable failure) {
        if (failure instanceof TokenStoreUnavailableException unavailable) {
            return unavailable.redisFailure().orElse(RedisFailure.Kind.ERROR);
        }
        return RedisFailure.of(failure).kind();
    }

    @Override
    public TokenUsage usageOf(TokenRecord token, Instant now) {
        Map<String, String> fields = link.call(redis -> redis.hgetall(keys.usage(token.id().value())));
        boolean current = window(now).equals(fields.get("w"));
        return new TokenUsage(usage(fields, ""), current ? count(fields.get("wr")) : 0, current ? count(fields.get("wt")) : 0,
                UsageWindows.windowEnd(now));
    }

    /**
     * Reads, from each hour's index, the first {@code limit + 1} members after {@code after} (one
     * agent's as a range of it), all hours' reads sent together; the page is the first {@code limit}
     * tokens of their union. A token of the page that had usage in an hour is among that hour's first
     * {@code limit + 1} (every member before it in that hour is on the page too), so the page's sums
     * are whole. Then the page's tokens' hour keys, sent together. No command reads more than
     * {@code limit + 1} entries, and no key holds more than one token's hour.
     */
    @Override
    public UsagePage report(Optional<String> agentName, Instant from, Instant to, Optional<ReportKey> after, int limit) {
        UsageWindows.checkPageLimit(limit);
        List<Instant> hourStarts = UsageWindows.hoursOverlapping(from, to, retention);
        Range<String> range = range(agentName, after);
        Limit first = Limit.create(0, limit + 1L);
        List<CompletableFuture<List<String>>> indexReplies = new ArrayList<>(hourStarts.size());
        for (Instant hourStart : hourStarts) {
            String hour = HOUR.format(hourStart);
            indexReplies.add(link.<List<String>>callAsync(redis -> redis.zrangebylex(keys.usageHourIndex(hour), range, first))
                    .toCompletableFuture());
        }
        // Members in the report's order (UTF-8 byte order, as Redis sorts them), each with its hours.
        TreeMap<ReportKey, List<String>> hoursByToken = new TreeMap<>();
        for (int i = 0; i < hourStarts.size(); i++) {
            String hour = HOUR.format(hourStarts.get(i));
            for (String member : RedisLink.await(indexReplies.get(i))) {
                int separator = member.indexOf(SEPARATOR);
                hoursByToken.computeIfAbsent(new ReportKey(member.substring(0, separator), member.substring(separator + 1)),
                        key -> new ArrayList<>()).add(hour);
            }
        }
        List<Map.Entry<ReportKey, List<String>>> page = hoursByToken.entrySet().stream().limit(limit).toList();
        List<List<CompletableFuture<Map<String, String>>>> hourReplies = new ArrayList<>(page.size());
        for (Map.Entry<ReportKey, List<String>> token : page) {
            List<CompletableFuture<Map<String, String>>> replies = new ArrayList<>(token.getValue().size());
            for (String hour : token.getValue()) {
                replies.add(link.<Map<String, String>>callAsync(
                        redis -> redis.hgetall(keys.usageHour(token.getKey().tokenId(), hour))).toCompletableFuture());
            }
            hourReplies.add(replies);
        }
        List<UsageLine> lines = new ArrayList<>(page.size());
        for (int i = 0; i < page.size(); i++) {
            Usage sum = Usage.ZERO;
            boolean found = false;
            for (CompletableFuture<Map<String, String>> reply : hourReplies.get(i)) {
                Map<String, String> fields = RedisLink.await(reply);
                if (!fields.isEmpty()) {
                    sum = UsageCounts.sum(sum, usage(fields, ""));
                    found = true;
                }
            }
            ReportKey key = page.get(i).getKey();
            // An hour key can expire just before its index does: a token left with none is not on the page.
            if (found) {
                lines.add(new UsageLine(key.tokenId(), key.agentName(), sum));
            }
        }
        // The next page starts after the last token read, whether or not it made a line.
        return new UsagePage(lines, hoursByToken.size() > limit ? Optional.of(page.get(limit - 1).getKey()) : Optional.empty());
    }

    /** The index members a page reads: after {@code after}, within one agent's when asked. */
    private static Range<String> range(Optional<String> agentName, Optional<ReportKey> after) {
        Range.Boundary<String> lower = agentName.map(agent -> Range.Boundary.including(agent + SEPARATOR))
                .orElse(Range.Boundary.unbounded());
        Range.Boundary<String> upper = agentName.map(agent -> Range.Boundary.excluding(agent + "\u0002"))
                .orElse(Range.Boundary.unbounded());
        if (after.isPresent()
                && (agentName.isEmpty() || UsageWindows.compareCodePoints(after.get().agentName(), agentName.get()) >= 0)) {
            // After another agent's line than the one asked for: past it the range is empty, before it the range is whole.
            lower = Range.Boundary.excluding(after.get().agentName() + SEPARATOR + after.get().tokenId());
        }
        return Range.from(lower, upper);
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

    /** The window's name in the usage hash: its UTC minute, as minutes since the epoch. */
    private static String window(Instant now) {
        return Long.toString(UsageWindows.windowStart(now).getEpochSecond() / 60);
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
        return new Usage(counts[0], counts[1], counts[2], counts[3], counts[4], counts[5], counts[6], counts[7], counts[8]);
    }

    private static long count(String value) {
        return value == null ? 0 : Long.parseLong(value);
    }

}
