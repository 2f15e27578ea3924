package dev.creddy.anthropic.web;

import dev.creddy.anthropic.token.AgentIdentity;
import dev.creddy.anthropic.token.TokenLimits;
import dev.creddy.anthropic.token.TokenRecord;
import jakarta.json.bind.annotation.JsonbProperty;
import jakarta.json.bind.annotation.JsonbPropertyOrder;
import java.util.List;

/**
 * A token as listings and {@code /v1/tokens/self} show it: its metadata and limits, never its secret;
 * {@code /v1/tokens/self} adds what it has used. A token obtained with an identity token shows the
 * verified identity.
 */
@JsonbPropertyOrder({"id", "agentName", "createdAt", "expiresAt", "rpm", "tpm", "maxTokensTotal", "models", "endpoints", "usage", "identity",
        "maxCostUsd", "spend"})
public record TokenSummary(
        String id,
        @JsonbProperty("agent_name") String agentName,
        @JsonbProperty("created_at") String createdAt,
        @JsonbProperty("expires_at") String expiresAt,
        Long rpm,
        Long tpm,
        @JsonbProperty("max_tokens_total") Long maxTokensTotal,
        List<String> models,
        List<String> endpoints,
        TokenUsageView usage,
        AgentIdentity identity,
        @JsonbProperty("max_cost_usd") java.math.BigDecimal maxCostUsd,
        SpendView spend) {

    static TokenSummary of(TokenRecord record) {
        return of(record, null);
    }

    static TokenSummary of(TokenRecord record, TokenUsageView usage) {
        return of(record, usage, null);
    }

    /** With what the token has spent in dollars, for {@code /v1/tokens/self}. */
    static TokenSummary of(TokenRecord record, TokenUsageView usage, SpendView spend) {
        TokenLimits limits = record.limits();
        return new TokenSummary(record.id().value(), record.agentName(), record.createdAt().toString(),
                record.expiresAt().toString(), LimitFields.rpm(limits), LimitFields.tpm(limits),
                LimitFields.maxTokensTotal(limits), LimitFields.models(limits), LimitFields.endpoints(limits), usage, record.identity().orElse(null),
                LimitFields.maxCostUsd(limits), spend);
    }
}
