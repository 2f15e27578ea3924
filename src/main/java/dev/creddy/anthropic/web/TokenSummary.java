package dev.creddy.anthropic.web;

import dev.creddy.anthropic.token.TokenRecord;
import jakarta.json.bind.annotation.JsonbProperty;
import jakarta.json.bind.annotation.JsonbPropertyOrder;

/** A token as listings show it: its metadata, never its secret. */
@JsonbPropertyOrder({"id", "agentName", "createdAt", "expiresAt"})
public record TokenSummary(
        String id,
        @JsonbProperty("agent_name") String agentName,
        @JsonbProperty("created_at") String createdAt,
        @JsonbProperty("expires_at") String expiresAt) {

    static TokenSummary of(TokenRecord record) {
        return new TokenSummary(record.id().value(), record.agentName(), record.createdAt().toString(),
                record.expiresAt().toString());
    }
}
