package dev.creddy.anthropic.token;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What the registry knows of a token: its metadata, never its secret. Immutable.
 *
 * @param id the non-secret id
 * @param agentName who the token was issued to, as the issuer named it
 * @param createdAt when it was issued
 * @param expiresAt when it stops validating
 * @param identity the verified identity of the agent, when it got the token with its own identity token
 */
public record TokenRecord(TokenId id, String agentName, Instant createdAt, Instant expiresAt,
        Optional<AgentIdentity> identity) {

    public TokenRecord {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(agentName, "agentName");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(expiresAt, "expiresAt");
        Objects.requireNonNull(identity, "identity");
    }

    /** A token an issuer handed out by name, with no verified identity behind it. */
    public TokenRecord(TokenId id, String agentName, Instant createdAt, Instant expiresAt) {
        this(id, agentName, createdAt, expiresAt, Optional.empty());
    }

    /** Whether the token no longer validates at {@code now}. */
    public boolean isExpiredAt(Instant now) {
        return !now.isBefore(expiresAt);
    }
}
