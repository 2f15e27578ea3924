package dev.creddy.anthropic.usage;

import dev.creddy.anthropic.token.TokenRecord;
import dev.creddy.anthropic.token.TokenStoreUnavailableException;
import java.time.Instant;
import java.util.Map;
import java.util.logging.Logger;

/**
 * What is left of one exchange's token and dollar budgets, asked as its response streams: under
 * {@code budget-enforcement=strict} the exchange is ended as soon as {@link #exceededBy} says so.
 * One per exchange, made at admission from what the token had used then ({@link Source}), so
 * several budgets (tokens, dollars) are one check ({@link #or}).
 *
 * <p>Implementations are immutable and thread-safe; {@link #exceededBy} runs on the reactor thread
 * that moves the response's bytes, for each chunk, so it must only compute.
 */
@FunctionalInterface
public interface StreamBudget {

    /** A budget nothing exceeds. */
    StreamBudget UNLIMITED = soFar -> false;

    /** Whether {@code soFar}, what this exchange's response has reported so far, takes its token over budget. */
    boolean exceededBy(Usage soFar);

    /** Exceeded when this or {@code other} is. */
    default StreamBudget or(StreamBudget other) {
        if (this == UNLIMITED) {
            return other;
        }
        if (other == UNLIMITED) {
            return this;
        }
        return soFar -> exceededBy(soFar) || other.exceededBy(soFar);
    }

    /**
     * Makes an exchange's budget at its admission. The token budget ({@link #TOKENS}) is one, the
     * dollar budgets ({@link #dollars}) another; both are in the forwarder's list of sources.
     */
    @FunctionalInterface
    interface Source {
        /**
         * @param admission how the token stood when the request was admitted; null when it has no counted limits
         * @return {@link #UNLIMITED} when the token has no such budget
         */
        StreamBudget budgetFor(TokenRecord caller, Admission admission);
    }

    /**
     * {@code max_tokens_total}: exceeded once the tokens this response reported take the token past
     * what it had left when the request was admitted. Other exchanges of the token running at the
     * same time are not counted here (each is held to what was left at its own admission).
     */
    Source TOKENS = (caller, admission) -> {
        if (admission == null || caller.limits().maxTokensTotal().isEmpty()) {
            return UNLIMITED;
        }
        long left = caller.limits().maxTokensTotal().getAsLong() - admission.tokensTotal();
        return soFar -> soFar.tokens() > left;
    };
    /**
     * The dollar budgets, {@code max_cost_usd} and the agent's {@code agent-budgets} entry: exceeded
     * once the cost this response reported takes the token (or its agent) past what it had left of that
     * budget when the request was admitted: the budget less what it had spent then. As for
     * {@link #TOKENS}, other exchanges running at the same time are not counted here (their
     * reservations are estimates, far above what most of them cost; each is held to what was left at
     * its own admission), and a response whose model the table does not price adds no cost.
     *
     * <p>What was spent is read from the ledger when the budget is made, on the servlet's thread
     * (with Redis, a few reads, only for a request held to a dollar budget under {@code strict}). When
     * the store cannot answer, the response is held to no dollar budget here: its reservation is
     * refused (503) anyway, and the overshoot bound of the reservations still holds.
     *
     * @param ledger where spend is kept
     * @param agentBudgets the {@code agent-budgets} in micro-dollars per rolling 24 hours, by agent name
     */
    static Source dollars(UsageLedger ledger, Map<String, Long> agentBudgets) {
        Map<String, Long> budgets = Map.copyOf(agentBudgets);
        return (caller, admission) -> {
            Long perDay = budgets.get(caller.agentName());
            if (caller.limits().maxCostUsd().isEmpty() && perDay == null) {
                return UNLIMITED;
            }
            UsageLedger.Spend spend;
            try {
                spend = ledger.spendOf(caller, Instant.now());
            } catch (TokenStoreUnavailableException e) {
                Logger.getLogger(StreamBudget.class.getName()).fine("dollar budget of a stream not read: the store is out of reach");
                return UNLIMITED;
            }
            long left = Long.MAX_VALUE;
            if (caller.limits().maxCostUsd().isPresent()) {
                left = caller.limits().maxCostUsd().getAsLong() - spend.tokenSpent();
            }
            if (perDay != null) {
                left = Math.min(left, perDay - spend.agentSpent());
            }
            long leftMicros = left;
            return soFar -> soFar.costMicros() > leftMicros;
        };
    }
}
