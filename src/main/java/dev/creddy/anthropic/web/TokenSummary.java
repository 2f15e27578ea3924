package dev.creddy.anthropic.web;

import dev.creddy.anthropic.token.AgentIdentity;
import dev.creddy.anthropic.token.TokenRecord;
import jakarta.json.bind.annotation.JsonbProperty;
import jakarta.json.bind.annotation.JsonbPropertyOrder;

/**
 * A token as listings show it: its metadata, never its secret; for a token obtained with an identity
 * token, the verified identity (absent otherwise).
 */
@JsonbPropertyOrder({"id", "agentName", "createdAt", "expiresAt", "identity"})
public record TokenSummary(
        String id,
        @JsonbProperty("agent_name") String agentName,
        @JsonbProperty("created_at") String createdAt,
        @JsonbProperty("expires_at") String expiresAt,
        AgentIdentity identity) {

    static TokenSummary of(TokenRecord record) {
        return new TokenSummary(record.id().value(), record.agentName(), record.createdAt().toString(),
                record.expiresAt().toString(), record.identity().orElse(null));
    }
}
