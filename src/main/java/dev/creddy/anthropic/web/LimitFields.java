package dev.creddy.anthropic.web;

import dev.creddy.anthropic.token.TokenLimits;
import java.util.List;

/**
 * A token's limits as the JSON views show them: one field per limit that applies, none for one that
 * does not (JSON-B leaves nulls out). Stateless.
 */
final class LimitFields {

    private LimitFields() {
    }

    static Long rpm(TokenLimits limits) {
        return limits.rpm().isPresent() ? limits.rpm().getAsLong() : null;
    }

    static Long tpm(TokenLimits limits) {
        return limits.tpm().isPresent() ? limits.tpm().getAsLong() : null;
    }

    static Long maxTokensTotal(TokenLimits limits) {
        return limits.maxTokensTotal().isPresent() ? limits.maxTokensTotal().getAsLong() : null;
    }

    static List<String> models(TokenLimits limits) {
        return limits.restrictsModels() ? limits.models() : null;
    }

    static List<String> endpoints(TokenLimits limits) {
        return limits.endpoints().isEmpty() ? null : limits.endpoints();
    }

    /** {@code max_cost_usd} in US dollars with six decimals, or null. */
    static java.math.BigDecimal maxCostUsd(TokenLimits limits) {
        return limits.maxCostUsd().isPresent() ? dev.creddy.anthropic.usage.Money.dollars(limits.maxCostUsd().getAsLong()) : null;
    }

    static Long maxConcurrent(TokenLimits limits) {
        return limits.maxConcurrent().isPresent() ? limits.maxConcurrent().getAsLong() : null;
    }
}
