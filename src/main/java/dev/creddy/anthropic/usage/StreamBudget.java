package dev.creddy.anthropic.usage;

import dev.creddy.anthropic.token.TokenRecord;

/**
 * What is left of one exchange's token budgets, asked as its response streams: under
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
     * Makes an exchange's budget at its admission. The token budget ({@link #tokens}) is one; a
     * dollar budget plugs in as another, given to the forwarder's list of sources.
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
}
