package dev.creddy.anthropic.usage;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The answer to "may this request reserve its estimate now?". Immutable.
 *
 * @param refusedBy the budget that refused it ({@link #MAX_COST_USD} or {@link #AGENT_USD_PER_DAY}), or
 *     empty when the reservation was made
 * @param hold the reservation, when it was made; null when refused
 * @param budgetMicros the refusing budget, in micro-dollars (0 when admitted)
 * @param spentMicros what the refusing budget has spent (0 when admitted)
 * @param reservedMicros what requests in flight hold of it (0 when admitted)
 * @param resetsAt when spend leaves the refusing budget's window; null for the lifetime budget, which never resets
 */
public record SpendAdmission(Optional<String> refusedBy, SpendHold hold, long budgetMicros, long spentMicros,
        long reservedMicros, Instant resetsAt) {

    /** The token's lifetime dollar budget. */
    public static final String MAX_COST_USD = "max_cost_usd";
    /** The agent's rolling 24-hour dollar budget ({@code agent-budgets}). */
    public static final String AGENT_USD_PER_DAY = "agent_usd_per_day";

    public SpendAdmission {
        Objects.requireNonNull(refusedBy, "refusedBy");
    }

    static SpendAdmission admitted(SpendHold hold) {
        return new SpendAdmission(Optional.empty(), hold, 0, 0, 0, null);
    }

    static SpendAdmission refused(String budget, long budgetMicros, long spentMicros, long reservedMicros, Instant resetsAt) {
        return new SpendAdmission(Optional.of(budget), null, budgetMicros, spentMicros, reservedMicros, resetsAt);
    }

    public boolean admitted() {
        return refusedBy.isEmpty();
    }
}
