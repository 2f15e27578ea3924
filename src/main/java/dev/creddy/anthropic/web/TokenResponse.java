package dev.creddy.anthropic.web;

import dev.creddy.anthropic.config.GoDuration;
import dev.creddy.anthropic.token.AgentIdentity;
import dev.creddy.anthropic.token.IssuedToken;
import jakarta.json.bind.annotation.JsonbProperty;
import jakarta.json.bind.annotation.JsonbPropertyOrder;
import java.time.Duration;

/** The body of {@code 201 Created} for a new token; the only place the secret ever leaves the proxy. */
@JsonbPropertyOrder({"id", "token", "agentName", "createdAt", "expiresAt", "ttl", "identity"})
public record TokenResponse(
        String id,
        String token,
        @JsonbProperty("agent_name") String agentName,
        @JsonbProperty("created_at") String createdAt,
        @JsonbProperty("expires_at") String expiresAt,
        String ttl,
        AgentIdentity identity) {

    static TokenResponse of(IssuedToken issued, Duration ttl) {
        return new TokenResponse(issued.record().id().value(), issued.secret(), issued.record().agentName(),
                issued.record().createdAt().toString(), issued.record().expiresAt().toString(), GoDuration.format(ttl),
                issued.record().identity().orElse(null));
    }

    @Override
    public String toString() {
        return "TokenResponse[id=" + id + ", token=crd_****]";
    }
}
