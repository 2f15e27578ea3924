package dev.creddy.anthropic.usage;

import dev.creddy.anthropic.token.RedisFailure;
import dev.creddy.anthropic.token.TokenRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Counts what each token used and holds tokens to their limits. Lives in the same store as the
 * token registry: in memory for one instance, in Redis (atomically) for several, so that limits hold
 * across instances.
 *
 * <p>Windows are fixed: {@code rpm} and {@code tpm} count within the current UTC minute
 * ({@code [hh:mm:00, hh:mm+1:00)}), and start from zero at the next one. A request counts in the
 * minute it was admitted; its tokens count in the minute its exchange ended (when {@link #record}
 * is called), so all of a long stream's tokens land in its last minute. Limits are checked at
 * admission, against what has been recorded so far: requests in flight at the same time are each
 * admitted, and together overshoot {@code tpm} and {@code max_tokens_total} by what they use;
 * {@code rpm} is never overshot. Usage history is kept in UTC hours, for reports, for a retention
 * each ledger is given (at least an hour).
 *
 * <p>Thread-safe. A store that lives elsewhere can be out of reach: then {@link #admit},
 * {@link #usageOf} and {@link #report} throw
 * {@link dev.creddy.anthropic.token.TokenStoreUnavailableException} within the store's timeout, and
 * {@link #record} drops (and logs) what it could not add.
 */
public interface UsageLedger {

    /** Lines per page when {@link #report(Optional, Instant, Instant)} reads a whole report. */
    int REPORT_PAGE = 1000;

    /**
     * Admits one request of {@code token} under its rate limits and budget, counting it in the current
     * window; or refuses it, counting nothing. A request is refused when the window already holds
     * {@code rpm} requests or {@code tpm} tokens, or the token's life total has reached
     * {@code max_tokens_total}. Called only for tokens whose limits count
     * ({@link dev.creddy.anthropic.token.TokenLimits#countsBeforeForwarding()}).
     */
    Admission admit(TokenRecord token, Instant now);

    /**
     * Adds what one finished exchange of {@code token} used: to the current window's tokens, the
     * token's life total and the current hour's history. Never makes the caller wait for a remote
     * store (it runs on the threads that move response bytes).
     */
    void record(TokenRecord token, Usage used, Instant now);

    /**
     * Usage records that could not be added (the store was out of reach) since this ledger started,
     * for metrics; always 0 for a store in memory.
     */
    long droppedRecords();

    /**
     * Of {@link #droppedRecords()}, those Redis failed for {@code reason} (a timeout, an open circuit,
     * no connection, out of memory…), for metrics; always 0 for a store in memory.
     */
    long droppedRecordsFor(RedisFailure.Kind reason);

    /** What {@code token} has used over its life, and the state of its current window. */
    TokenUsage usageOf(TokenRecord token, Instant now);

    /**
     * What each token used in the hours that overlap {@code [from, to)}, one line per token, optionally
     * only those of one agent; ordered by agent name, then token id. An empty window
     * ({@code from == to}) overlaps no hour.
     *
     * <p>Reads every line, a {@link #REPORT_PAGE}-line page at a time: for callers that need the whole
     * report. {@code GET /v1/usage} asks for one {@linkplain #report(Optional, Instant, Instant, Optional, int) page}.
     *
     * @throws IllegalArgumentException when {@code to} is before {@code from}, or the window overlaps
     *     more hours than the history keeps (the usage retention, plus the hour it starts in)
     */
    default List<UsageLine> report(Optional<String> agentName, Instant from, Instant to) {
        List<UsageLine> lines = new ArrayList<>();
        Optional<ReportKey> after = Optional.empty();
        UsagePage page;
        do {
            page = report(agentName, from, to, after, REPORT_PAGE);
            lines.addAll(page.lines());
            after = page.next();
        } while (page.hasMore());
        return lines;
    }

    /**
     * One page of {@link #report(Optional, Instant, Instant)}: at most {@code limit} lines, in the
     * same order, starting after the line {@code after} names. What one call reads is bounded by
     * {@code limit} (with Redis: at most {@code limit + 1} index entries per hour of the window, and
     * the hour keys of the page's tokens).
     *
     * @param after the position to continue from (the {@link UsagePage#next()} of the previous page), or empty for the first
     * @param limit how many lines at most, 1 or more
     * @throws IllegalArgumentException as {@link #report(Optional, Instant, Instant)}
     */
    UsagePage report(Optional<String> agentName, Instant from, Instant to, Optional<ReportKey> after, int limit);

    /**
     * Reserves {@code estimateMicros} of {@code token}'s dollar budgets before a request is forwarded:
     * its {@code max_cost_usd} (when it has one) and its agent's rolling 24-hour budget
     * ({@code agentBudgetMicros}, when the agent has one). A budget admits while what it has spent plus
     * what requests in flight hold of it is below the budget, atomically (across instances for a shared
     * store): so whatever the concurrency, a budget is overspent by at most the reservation of the last
     * request it admitted, as long as each request costs no more than it reserved. Refused, nothing is held.
     *
     * @throws dev.creddy.anthropic.token.TokenStoreUnavailableException when the store cannot be asked
     */
    SpendAdmission reserve(TokenRecord token, java.util.OptionalLong agentBudgetMicros, long estimateMicros, Instant now);

    /**
     * Releases {@code hold} and charges {@code chargedMicros} (the exact cost, or the whole reservation for
     * a response whose cost is unknown) to the budgets it held. Never makes the caller wait for a remote
     * store; what cannot be written is dropped and counted like a usage record. A reservation whose
     * settlement never arrives (the instance died) lapses after {@link #HOLD_LEASE}.
     */
    void settle(TokenRecord token, SpendHold hold, long chargedMicros, Instant now);

    /**
     * Records a download of Message Batch {@code batchId}'s results by {@code token}: the request
     * itself, and of the result lines it read ({@code download}'s tokens and cost, as the
     * {@link BatchResultsMeter} summed them) the part no earlier download of the same results was
     * charged ({@link BatchCharges}), as the token's usage, to its {@code max_cost_usd} when it has one
     * and, when {@code onAgentBudget}, to its agent's rolling budget. Never makes the caller wait for a
     * remote store; what cannot be written is dropped and counted like a usage record.
     */
    void recordBatchResults(TokenRecord token, String batchId, Usage download, boolean onAgentBudget, Instant now);

    /** How long a reservation holds a budget at most, should its settlement never come. */
    java.time.Duration HOLD_LEASE = java.time.Duration.ofHours(1);

    /** What {@code token} and its agent have spent and hold in reservations, for {@code /v1/tokens/self}. */
    Spend spendOf(TokenRecord token, Instant now);

    /** Reservations made on this instance and not yet settled, for metrics. */
    long reservationsOutstanding();

    /**
     * Dollars spent and held, in micro-dollars.
     *
     * @param tokenSpent what the token's settled requests were charged, over its life
     * @param tokenReserved what its requests in flight hold
     * @param agentSpent what the agent's settled requests were charged in the rolling 24 hours
     * @param agentReserved what the agent's requests in flight hold
     */
    record Spend(long tokenSpent, long tokenReserved, long agentSpent, long agentReserved) {
    }

    /**
     * What a token has used.
     *
     * @param total over the token's life
     * @param requestsInWindow requests admitted in the current window (counted only for tokens with limits)
     * @param tokensInWindow tokens recorded in the current window
     * @param windowResetsAt when the current window ends
     */
    record TokenUsage(Usage total, long requestsInWindow, long tokensInWindow, Instant windowResetsAt) {
    }

    /**
     * One token's usage over a report's hours.
     *
     * @param tokenId the token's id
     * @param agentName who it was issued to
     * @param usage what it used in those hours
     */
    record UsageLine(String tokenId, String agentName, Usage usage) {

        /** Where this line stands in a report's order. */
        public ReportKey key() {
            return new ReportKey(agentName, tokenId);
        }
    }

    /**
     * A position in a report's order: agent name, then token id, each compared by Unicode code point
     * (the order of their UTF-8 bytes, which is how Redis orders its index), so that both stores page
     * the same way. Immutable.
     *
     * @param agentName the agent
     * @param tokenId the token, unique across agents
     */
    record ReportKey(String agentName, String tokenId) implements Comparable<ReportKey> {

        @Override
        public int compareTo(ReportKey other) {
            int byAgent = UsageWindows.compareCodePoints(agentName, other.agentName);
            return byAgent != 0 ? byAgent : UsageWindows.compareCodePoints(tokenId, other.tokenId);
        }
    }

    /**
     * One page of a report.
     *
     * @param lines the page's lines, in the report's order
     * @param next where the next page starts (pass it as {@code after}) when lines follow, else empty
     */
    record UsagePage(List<UsageLine> lines, Optional<ReportKey> next) {

        public UsagePage {
            lines = List.copyOf(lines);
        }

        /** Whether lines follow this page. */
        public boolean hasMore() {
            return next.isPresent();
        }
    }
}
