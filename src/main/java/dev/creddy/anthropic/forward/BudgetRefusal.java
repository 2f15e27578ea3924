package dev.creddy.anthropic.forward;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.api.RetryHint;
import dev.creddy.anthropic.token.TokenRecord;
import dev.creddy.anthropic.usage.Money;
import dev.creddy.anthropic.usage.SpendAdmission;
import java.time.Duration;
import java.time.Instant;

/**
 * The 429 {@code rate_limit_error} for a request a dollar budget refused, naming the budget and when
 * it frees up. A token's {@code max_cost_usd} never refills: {@code x-should-retry: false}. An agent's
 * rolling budget frees up as its oldest charged hour leaves the 24 hours: {@code retry-after} says when.
 * Stateless.
 */
final class BudgetRefusal {

    private BudgetRefusal() {
    }

    static ApiError of(SpendAdmission refused, TokenRecord caller, Instant now) {
        String figures = "spent $" + Money.dollars(refused.spentMicros()).toPlainString() + ", $"
                + Money.dollars(refused.reservedMicros()).toPlainString() + " reserved by requests in flight";
        if (SpendAdmission.MAX_COST_USD.equals(refused.refusedBy().orElseThrow())) {
            return new ApiError(429, "rate_limit_error", "dollar budget spent: this token may spend $"
                    + Money.dollars(refused.budgetMicros()).toPlainString() + " (max_cost_usd) and has " + figures
                    + "; it never resets: ask for a new token", RetryHint.never());
        }
        Duration wait = Duration.between(now, refused.resetsAt());
        return new ApiError(429, "rate_limit_error", "dollar budget spent: agent " + caller.agentName() + " may spend $"
                + Money.dollars(refused.budgetMicros()).toPlainString() + " in any 24 hours (agent-budgets usd_per_day) and has "
                + figures + "; spend starts leaving the window at " + refused.resetsAt(),
                RetryHint.after(wait.isNegative() || wait.isZero() ? Duration.ofSeconds(1) : wait));
    }
}
