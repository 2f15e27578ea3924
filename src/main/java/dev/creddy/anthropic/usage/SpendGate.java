package dev.creddy.anthropic.usage;

import dev.creddy.anthropic.token.TokenRecord;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Holds one Messages request to its token's and its agent's dollar budgets: before it is forwarded,
 * {@link #reserve} holds an estimate of what it can cost; when it has ended, {@link #settle} charges
 * the exact cost and gives the rest back.
 *
 * <p>The estimate: {@code max_tokens} at the model's output rate, plus the body's size over three
 * (a generous count of the tokens a JSON body holds) at its input rate, rounded up to the
 * micro-dollar. Before the model is read (it comes after 64 KB of body) the highest rates of the table
 * stand in; without {@code max_tokens}, {@link #DEFAULT_MAX_TOKENS}.
 *
 * <p>A batch's results download ({@code GET /v1/messages/batches/{id}/results}) has a gate of its
 * own ({@link #recordsUsage()}): nothing is reserved before it, and its settlement records it, since
 * its lines' usage must be charged once however often the results are downloaded (see
 * {@link UsageLedger#recordBatchResults}): to the token's usage, its {@code max_cost_usd} and its
 * agent's budget, as its own requests are.
 *
 * <p>Confined to one exchange: reserved once, on the thread that opens the model gate, and settled
 * once, by the usage recorder after the end (which the exchange's end executor orders after it).
 */
public final class SpendGate {

    /** The output a request without a readable {@code max_tokens} is assumed to ask for. */
    public static final long DEFAULT_MAX_TOKENS = 128_000;

    private final UsageLedger ledger;
    private final PriceTable prices;
    private final TokenRecord token;
    private final OptionalLong agentBudget;
    /** The batch whose results the request downloads; null for a Messages request. */
    private final String batchId;
    private volatile SpendHold hold;

    private SpendGate(UsageLedger ledger, PriceTable prices, TokenRecord token, OptionalLong agentBudget, String batchId) {
        this.ledger = ledger;
        this.prices = prices;
        this.token = token;
        this.agentBudget = agentBudget;
        this.batchId = batchId;
    }

    /**
     * The gate of one request, or null when it is held to no dollar budget (its token has no
     * {@code max_cost_usd}, its agent no {@code agent-budgets} entry) or is not {@code POST /v1/messages};
     * for a batch's results download, always one (see {@link #recordsUsage()}).
     */
    public static SpendGate forRequest(UsageLedger ledger, PriceTable prices, Map<String, Long> agentBudgets,
            TokenRecord token, String method, String path) {
        Long perDay = agentBudgets.get(token.agentName());
        OptionalLong agentBudget = perDay == null ? OptionalLong.empty() : OptionalLong.of(perDay);
        String batch = ResponseMeters.batchOfResults(method, path);
        if (batch != null) {
            return new SpendGate(ledger, prices, token, agentBudget, batch);
        }
        if (!"POST".equals(method) || !"/v1/messages".equals(path)) {
            return null;
        }
        if (token.limits().maxCostUsd().isEmpty() && perDay == null) {
            return null;
        }
        return new SpendGate(ledger, prices, token, agentBudget, null);
    }

    /**
     * Whether {@link #settle} records the exchange's usage itself (a batch's results download), so the
     * usage recorder must not record it too.
     */
    public boolean recordsUsage() {
        return batchId != null;
    }

    /** The estimate of a request, in micro-dollars (see the class comment). */
    public long estimate(String model, OptionalLong maxTokens, long bodyBytes) {
        Optional<ModelPrice> row = prices.lookup(model);
        long inputRate = row.map(price -> Math.max(price.rates().input(), price.longContext() == null ? 0 : price.longContext().input()))
                .orElse(prices.highestInputRate());
        long outputRate = row.map(price -> Math.max(price.rates().output(), price.longContext() == null ? 0 : price.longContext().output()))
                .orElse(prices.highestOutputRate());
        long inputTokens = Math.min(UsageCounts.MAX_PER_RECORD, (Math.max(0, bodyBytes) + 2) / 3);
        long outputTokens = Math.min(UsageCounts.MAX_PER_RECORD, maxTokens.orElse(DEFAULT_MAX_TOKENS));
        // Each product fits a long: at most 10^9 tokens × 10^9 µ$ per million.
        long scaled = inputTokens * inputRate + outputTokens * outputRate;
        return scaled / 1_000_000 + (scaled % 1_000_000 == 0 ? 0 : 1);
    }

    /**
     * Reserves the request's estimate.
     *
     * @throws dev.creddy.anthropic.token.TokenStoreUnavailableException when the store cannot be asked
     */
    public SpendAdmission reserve(String model, OptionalLong maxTokens, long bodyBytes, Instant now) {
        SpendAdmission admission = ledger.reserve(token, agentBudget, estimate(model, maxTokens, bodyBytes), now);
        if (admission.admitted()) {
            hold = admission.hold();
        }
        return admission;
    }

    /**
     * Charges what the exchange used: its exact cost, or its whole reservation when the cost is unknown
     * (a response in a coding the meters cannot read). Does nothing when nothing was reserved. For a
     * batch's results download, records the request and charges the lines no download was charged before.
     */
    public void settle(Usage used, Instant now) {
        if (batchId != null) {
            ledger.recordBatchResults(token, batchId, used, agentBudget.isPresent(), now);
            return;
        }
        SpendHold held = hold;
        if (held == null) {
            return;
        }
        hold = null;
        long charged = used.unpriced() > 0 ? Math.max(held.micros(), used.costMicros()) : used.costMicros();
        ledger.settle(token, held, charged, now);
    }

    /** The token's agent budget, when it has one. */
    public OptionalLong agentBudget() {
        return agentBudget;
    }
}
