package dev.creddy.anthropic.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.token.ManualClock;
import dev.creddy.anthropic.token.TokenId;
import dev.creddy.anthropic.token.TokenLimits;
import dev.creddy.anthropic.token.TokenRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** Issue 19: which requests a dollar budget holds, their estimate, and what settling charges. */
class SpendGateTest {

    private static final Instant NOW = Instant.parse("2026-12-03T12:00:00Z");
    private static final PriceTable PRICES = PriceTable.builtIn();

    private static TokenRecord token(String agent, long maxCostMicros) {
        return new TokenRecord(new TokenId(String.format("tok_gate%012d", Math.abs(agent.hashCode()))), agent, NOW, NOW.plus(Duration.ofHours(1)),
                new TokenLimits(OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty(), List.of(), List.of(),
                        maxCostMicros > 0 ? OptionalLong.of(maxCostMicros) : OptionalLong.empty(), OptionalLong.empty()));
    }

    @Test
    void onlyMessagesOfABudgetedTokenOrAgentAreGated() {
        MemoryUsageLedger ledger = new MemoryUsageLedger(Duration.ofHours(1), new ManualClock(NOW));
        assertNull(SpendGate.forRequest(ledger, PRICES, Map.of(), token("free", 0), "POST", "/v1/messages"));
        assertNull(SpendGate.forRequest(ledger, PRICES, Map.of(), token("paid", 1), "POST", "/v1/messages/count_tokens"));
        assertTrue(SpendGate.forRequest(ledger, PRICES, Map.of(), token("paid", 1), "POST", "/v1/messages") != null);
        assertTrue(SpendGate.forRequest(ledger, PRICES, Map.of("team", 5L), token("team", 0), "POST", "/v1/messages") != null);
    }

    @Test
    void theEstimateIsMaxTokensAtTheOutputRateAndABodyThirdAtTheInputRate() {
        SpendGate gate = SpendGate.forRequest(new MemoryUsageLedger(Duration.ofHours(1), new ManualClock(NOW)), PRICES,
                Map.of(), token("paid", 1_000_000), "POST", "/v1/messages");
        // Haiku 4.5: 1000 × 5 µ$ + ceil(3000 / 3) × 1 µ$
        assertEquals(6_000, gate.estimate("claude-haiku-4-5", OptionalLong.of(1000), 3000));
        // Sonnet 4.5 has a long-context tier: its higher rates stand (22.5 and 6 µ$).
        assertEquals(22_500 + 6_000, gate.estimate("claude-sonnet-4-5", OptionalLong.of(1000), 3000));
        // No model yet: the table's highest rates; no max_tokens: 128000 output tokens.
        assertEquals(128_000L * 75 + 1000L * 15, gate.estimate(null, OptionalLong.empty(), 3000));
    }

    @Test
    void settlingChargesTheExactCostOrTheWholeReservationWhenTheCostIsUnknown() {
        MemoryUsageLedger ledger = new MemoryUsageLedger(Duration.ofHours(1), new ManualClock(NOW));
        TokenRecord token = token("paid", 1_000_000);
        SpendGate exact = SpendGate.forRequest(ledger, PRICES, Map.of(), token, "POST", "/v1/messages");
        assertTrue(exact.reserve("claude-haiku-4-5", OptionalLong.of(1000), 3000, NOW).admitted());
        assertEquals(new UsageLedger.Spend(0, 6_000, 0, 0), ledger.spendOf(token, NOW));
        exact.settle(new Usage(1, 10, 10, 0, 0, 0, 60, 0, 0), NOW);
        assertEquals(new UsageLedger.Spend(60, 0, 0, 0), ledger.spendOf(token, NOW));
        exact.settle(new Usage(1, 10, 10, 0, 0, 0, 60, 0, 0), NOW);
        assertEquals(new UsageLedger.Spend(60, 0, 0, 0), ledger.spendOf(token, NOW), "settled once");
        SpendGate unknown = SpendGate.forRequest(ledger, PRICES, Map.of(), token, "POST", "/v1/messages");
        assertTrue(unknown.reserve("claude-haiku-4-5", OptionalLong.of(1000), 3000, NOW).admitted());
        unknown.settle(new Usage(1, 500, 0, 0, 0, 0, 0, 1, 0), NOW);
        assertEquals(new UsageLedger.Spend(6_060, 0, 0, 0), ledger.spendOf(token, NOW));
    }
}
