package dev.creddy.anthropic.forward;

import dev.creddy.anthropic.usage.StreamBudget;
import java.util.List;

/**
 * {@code budget-enforcement}: under {@code lenient} a response that takes its token over budget is
 * let finish (the overshoot stays inside the bound the ledger states); under {@code strict} each
 * exchange gets the budgets of its token from every {@link StreamBudget.Source} (the token budget,
 * {@code max_tokens_total}, and any other given here, e.g. dollars), and is ended as soon as its
 * response exceeds one of them. Immutable and thread-safe.
 */
final class BudgetEnforcement {

    private final boolean strict;
    private final List<StreamBudget.Source> sources;

    /** @param sources every budget a stream is held to; {@link StreamBudget#TOKENS} among them */
    BudgetEnforcement(boolean strict, List<StreamBudget.Source> sources) {
        this.strict = strict;
        this.sources = List.copyOf(sources);
    }

    /** What ends {@code request}'s response when it runs over; {@link StreamBudget#UNLIMITED} when lenient. */
    StreamBudget budgetFor(ForwardedRequest request) {
        if (!strict) {
            return StreamBudget.UNLIMITED;
        }
        StreamBudget budget = StreamBudget.UNLIMITED;
        for (StreamBudget.Source source : sources) {
            budget = budget.or(source.budgetFor(request.caller(), request.admission()));
        }
        return budget;
    }
}
