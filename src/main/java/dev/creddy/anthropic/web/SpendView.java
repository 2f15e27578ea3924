package dev.creddy.anthropic.web;

import dev.creddy.anthropic.usage.Money;
import dev.creddy.anthropic.usage.UsageLedger;
import jakarta.json.bind.annotation.JsonbProperty;
import jakarta.json.bind.annotation.JsonbPropertyOrder;
import java.math.BigDecimal;
import java.util.OptionalLong;

/**
 * What a token has spent in dollars, as {@code /v1/tokens/self} shows it: spent (settled requests),
 * reserved (requests in flight) and left of its {@code max_cost_usd}, and the same for its agent's
 * rolling 24-hour budget when it has one. Amounts in US dollars with six decimals. Immutable.
 */
@JsonbPropertyOrder({"spentUsd", "reservedUsd", "leftUsd", "agent"})
public record SpendView(@JsonbProperty("spent_usd") BigDecimal spentUsd, @JsonbProperty("reserved_usd") BigDecimal reservedUsd,
        @JsonbProperty("left_usd") BigDecimal leftUsd, AgentSpend agent) {

    /** The agent's rolling budget. */
    @JsonbPropertyOrder({"usdPerDay", "spentUsd", "reservedUsd", "leftUsd"})
    public record AgentSpend(@JsonbProperty("usd_per_day") BigDecimal usdPerDay, @JsonbProperty("spent_usd") BigDecimal spentUsd,
            @JsonbProperty("reserved_usd") BigDecimal reservedUsd, @JsonbProperty("left_usd") BigDecimal leftUsd) {
    }

    static SpendView of(UsageLedger.Spend spend, OptionalLong tokenBudget, OptionalLong agentBudget) {
        AgentSpend agent = agentBudget.isEmpty() ? null : new AgentSpend(Money.dollars(agentBudget.getAsLong()),
                Money.dollars(spend.agentSpent()), Money.dollars(spend.agentReserved()),
                left(agentBudget.getAsLong(), spend.agentSpent(), spend.agentReserved()));
        return new SpendView(Money.dollars(spend.tokenSpent()), Money.dollars(spend.tokenReserved()),
                tokenBudget.isEmpty() ? null : left(tokenBudget.getAsLong(), spend.tokenSpent(), spend.tokenReserved()), agent);
    }

    private static BigDecimal left(long budget, long spent, long reserved) {
        return Money.dollars(Math.max(0, budget - spent - reserved));
    }
}
