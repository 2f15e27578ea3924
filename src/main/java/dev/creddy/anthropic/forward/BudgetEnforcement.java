package dev.creddy.anthropic.forward;

import dev.creddy.anthropic.usage.StreamBudget;
import java.util.List;

/**
 * {@code budget-enforcement}: under {@code lenient} a response that takes its token over budget is
 * let finish (the overshoot stays inside the bound the ledger states); under {@code strict} each
 * exchange gets the budgets of its token from every {@link StreamBudget.Source} (the token budget,
 * {@code max_tokens_total}, the dollar budgets, {@code max_cost_usd} and {@code agent-budgets}), and is
 * ended as soon as its response exceeds one of them. Only a Messages response ({@code POST /v1/messages})
 * is ended so: a batch's results download reports usage too, but that was spent when the batch ran,
 * and cutting the download off would only keep the results from their owner (and the lines from
 * being charged). Immutable and thread-safe.
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
        if (!strict || !"POST".equals(request.method()) || !"/v1/messages".equals(request.path())) {
            return StreamBudget.UNLIMITED;
        }
        StreamBudget budget = StreamBudget.UNLIMITED;
        for (StreamBudget.Source source : sources) {
            budget = budget.or(source.budgetFor(request.caller(), request.admission()));
        }
        return budget;
    }
}
