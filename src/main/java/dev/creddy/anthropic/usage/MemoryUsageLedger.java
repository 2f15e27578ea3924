package dev.creddy.anthropic.usage;

import dev.creddy.anthropic.token.LogThrottle;
import dev.creddy.anthropic.token.RedisFailure;
import dev.creddy.anthropic.token.TokenId;
import dev.creddy.anthropic.token.TokenLimits;
import dev.creddy.anthropic.token.TokenRecord;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The usage ledger of a single instance, beside the {@link dev.creddy.anthropic.token.MemoryTokenStore}.
 *
 * <p>Windows, and how far limits can be overshot, are as {@link UsageLedger} says: fixed UTC
 * minutes; tokens count in the minute their exchange ended; requests in flight at once can together
 * overshoot {@code tpm} and the budget by what they use, never {@code rpm}.
 *
 * <p>Each record is held to {@link UsageCounts}' bounds and every sum saturates, so no reported number
 * can overflow a count and lift a budget.
 *
 * <p>A token's counters live until a while after the token expires; its hourly history for the
 * retention. A background task drops both once they are no longer needed.
 *
 * <p>Thread-safe: each token's counters change under that token's lock, so no count is lost and no
 * window admits more than {@code rpm} requests; the history is merged into concurrent maps.
 * {@link #start()} and {@link #close()} are called once each, by whoever created the ledger.
 */
public final class MemoryUsageLedger implements UsageLedger, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(MemoryUsageLedger.class.getName());
    private static final Duration PURGE_INTERVAL = Duration.ofMinutes(1);
    /** How long a token's counters outlive it: an exchange admitted just before expiry still records its tokens. */
    static final Duration COUNTERS_MARGIN = Duration.ofHours(1);

    private final Map<TokenId, Counters> counters = new ConcurrentHashMap<>();
    private final Map<Instant, Map<TokenId, UsageLine>> hours = new ConcurrentHashMap<>();
    private final MemorySpendBooks spend = new MemorySpendBooks();
    private final MemoryBatchCharges batches = new MemoryBatchCharges();
    private final Duration retention;
    private final Clock clock;
    private final LogThrottle absurdWarnings = new LogThrottle(Duration.ofSeconds(10));
    private ScheduledExecutorService purger;

    /**
     * @param retention how long the hourly history is kept, at least an hour
     * @param clock what the purge takes as now
     */
    public MemoryUsageLedger(Duration retention, Clock clock) {
        this.retention = UsageWindows.checkRetention(retention);
        this.clock = clock;
    }

    /** Starts the background purge. */
    public void start() {
        purger = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "creddy-usage-purge");
            thread.setDaemon(true);
            return thread;
        });
        purger.scheduleWithFixedDelay(this::purge, PURGE_INTERVAL.toMillis(), PURGE_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public Admission admit(TokenRecord token, Instant now) {
        return countersOf(token).admit(token.limits(), now);
    }

    @Override
    public void record(TokenRecord token, Usage reported, Instant now) {
        Usage used = UsageCounts.bounded(reported);
        if (!used.equals(reported) && absurdWarnings.allow()) {
            LOG.warning(() -> "usage: token " + token.id() + " was reported usage out of bounds (negative, or over "
                    + UsageCounts.MAX_PER_RECORD + " per part); charged " + used + " (logged at most every 10s)");
        }
        countersOf(token).add(used, now);
        UsageLine line = new UsageLine(token.id().value(), token.agentName(), used);
        hours.computeIfAbsent(UsageWindows.hourStart(now), hour -> new ConcurrentHashMap<>())
                .merge(token.id(), line, MemoryUsageLedger::sum);
    }

    @Override
    public long droppedRecords() {
        return 0;
    }

    @Override
    public long droppedRecordsFor(RedisFailure.Kind reason) {
        return 0;
    }

    @Override
    public SpendAdmission reserve(TokenRecord token, java.util.OptionalLong agentBudgetMicros, long estimateMicros, Instant now) {
        return spend.reserve(token, agentBudgetMicros, estimateMicros, now);
    }

    @Override
    public void settle(TokenRecord token, SpendHold hold, long chargedMicros, Instant now) {
        spend.settle(token, hold, chargedMicros, now);
    }

    @Override
    public void recordBatchResults(TokenRecord token, String batchId, Usage download, boolean onAgentBudget, Instant now) {
        // In memory the claim is complete at once; join() only reads it.
        Usage fresh = batches.claim(batchId, download, now).toCompletableFuture().join();
        record(token, BatchCharges.requestOf(download).plus(fresh), now);
        spend.charge(token, onAgentBudget, fresh.costMicros(), now);
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
    public TokenUsage usageOf(TokenRecord token, Instant now) {
        Counters found = counters.get(token.id());
        return found == null ? new TokenUsage(Usage.ZERO, 0, 0, UsageWindows.windowEnd(now)) : found.usage(now);
    }

    @Override
    public UsagePage report(Optional<String> agentName, Instant from, Instant to, Optional<ReportKey> after, int limit) {
        UsageWindows.checkPageLimit(limit);
        Map<String, UsageLine> byToken = new HashMap<>();
        for (Instant hour : UsageWindows.hoursOverlapping(from, to, retention)) {
            for (UsageLine line : hours.getOrDefault(hour, Map.of()).values()) {
                if ((agentName.isEmpty() || agentName.get().equals(line.agentName()))
                        && (after.isEmpty() || line.key().compareTo(after.get()) > 0)) {
                    byToken.merge(line.tokenId(), line, MemoryUsageLedger::sum);
                }
            }
        }
        List<UsageLine> lines = byToken.values().stream().sorted(UsageWindows.REPORT_ORDER).limit(limit + 1L).toList();
        List<UsageLine> page = lines.subList(0, Math.min(limit, lines.size()));
        return new UsagePage(page, lines.size() > limit ? Optional.of(page.get(limit - 1).key()) : Optional.empty());
    }

    private Counters countersOf(TokenRecord token) {
        return counters.computeIfAbsent(token.id(), id -> new Counters(token.expiresAt()));
    }

    private static UsageLine sum(UsageLine a, UsageLine b) {
        return new UsageLine(a.tokenId(), a.agentName(), UsageCounts.sum(a.usage(), b.usage()));
    }

    /**
     * Drops the history older than the retention and the counters of tokens long expired; runs in
     * the background so that memory does not grow with every token ever issued.
     */
    void purge() {
        Instant now = clock.instant();
        int hoursBefore = hours.size();
        // An hour is kept for the retention after it ends; the current hour is never dropped (retention >= 1h).
        hours.keySet().removeIf(hour -> !hour.plus(UsageWindows.HOUR).plus(retention).isAfter(now));
        int tokensBefore = counters.size();
        counters.values().removeIf(token -> !token.expiresAt.plus(COUNTERS_MARGIN).isAfter(now));
        spend.purge(now.minus(COUNTERS_MARGIN), now);
        int droppedHours = hoursBefore - hours.size();
        int droppedTokens = tokensBefore - counters.size();
        if (droppedHours > 0 || droppedTokens > 0) {
            LOG.fine(() -> "usage: purged " + droppedHours + " hour(s) of history and the counters of " + droppedTokens
                    + " expired token(s)");
        }
    }

    /** Stops the background purge. */
    @Override
    public void close() {
        if (purger != null) {
            purger.shutdownNow();
        }
    }

    /** One token's current window and life total. Thread-safe: every access holds its lock. */
    private static final class Counters {

        final Instant expiresAt;
        private Instant window = Instant.EPOCH;
        private long requestsInWindow;
        private long tokensInWindow;
        private Usage total = Usage.ZERO;

        Counters(Instant expiresAt) {
            this.expiresAt = expiresAt;
        }

        synchronized Admission admit(TokenLimits limits, Instant now) {
            moveTo(now);
            Optional<String> refused = UsageWindows.refusal(limits, requestsInWindow, tokensInWindow,
                    UsageCounts.tokens(total));
            if (refused.isEmpty()) {
                requestsInWindow++;
            }
            return new Admission(refused, requestsInWindow, tokensInWindow, UsageCounts.tokens(total),
                    UsageWindows.windowEnd(now));
        }

        synchronized void add(Usage used, Instant now) {
            moveTo(now);
            tokensInWindow = UsageCounts.add(tokensInWindow, UsageCounts.tokens(used));
            total = UsageCounts.sum(total, used);
        }

        synchronized TokenUsage usage(Instant now) {
            boolean current = window.equals(UsageWindows.windowStart(now));
            return new TokenUsage(total, current ? requestsInWindow : 0, current ? tokensInWindow : 0,
                    UsageWindows.windowEnd(now));
        }

        /**
         * Starts a new window when {@code now} is in a later minute. A caller whose {@code now} was
         * taken just before another's counts in the newer window rather than reopening an old one.
         */
        private void moveTo(Instant now) {
            Instant start = UsageWindows.windowStart(now);
            if (start.isAfter(window)) {
                window = start;
                requestsInWindow = 0;
                tokensInWindow = 0;
            }
        }
    }
}
