package dev.creddy.anthropic.web;

import dev.creddy.anthropic.config.GoDuration;
import dev.creddy.anthropic.token.AgentIdentity;
import dev.creddy.anthropic.token.IssuedToken;
import dev.creddy.anthropic.token.TokenLimits;
import dev.creddy.anthropic.token.TokenRecord;
import jakarta.json.bind.annotation.JsonbProperty;
import jakarta.json.bind.annotation.JsonbPropertyOrder;
import java.time.Duration;
import java.util.List;

/** The body of {@code 201 Created} for a new token; the only place the secret ever leaves the proxy. */
@JsonbPropertyOrder({"id", "token", "agentName", "createdAt", "expiresAt", "ttl", "rpm", "tpm", "maxTokensTotal", "models",
        "endpoints", "identity", "maxCostUsd", "maxConcurrent"})
public record TokenResponse(
        String id,
        String token,
        @JsonbProperty("agent_name") String agentName,
        @JsonbProperty("created_at") String createdAt,
        @JsonbProperty("expires_at") String expiresAt,
        String ttl,
        Long rpm,
        Long tpm,
        @JsonbProperty("max_tokens_total") Long maxTokensTotal,
        List<String> models,
        List<String> endpoints,
        AgentIdentity identity,
        @JsonbProperty("max_cost_usd") java.math.BigDecimal maxCostUsd,
        @JsonbProperty("max_concurrent") Long maxConcurrent) {

    /** The new token with its effective limits; a limit that does not apply is left out. */
    static TokenResponse of(IssuedToken issued, Duration ttl) {
        TokenRecord record = issued.record();
        TokenLimits limits = record.limits();
        return new TokenResponse(record.id().value(), issued.secret(), record.agentName(), record.createdAt().toString(),
                record.expiresAt().toString(), GoDuration.format(ttl), LimitFields.rpm(limits), LimitFields.tpm(limits),
                LimitFields.maxTokensTotal(limits), LimitFields.models(limits), LimitFields.endpoints(limits), record.identity().orElse(null),
                LimitFields.maxCostUsd(limits), LimitFields.maxConcurrent(limits));
    }

    @Override
    public String toString() {
        return "TokenResponse[id=" + id + ", token=crd_****]";
    }
}
