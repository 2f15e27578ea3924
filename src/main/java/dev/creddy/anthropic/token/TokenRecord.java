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
 * @param limits what it may spend
 * @param identity the verified identity of the agent, when it got the token with its own identity token
 */
public record TokenRecord(TokenId id, String agentName, Instant createdAt, Instant expiresAt, TokenLimits limits,
        Optional<AgentIdentity> identity) {

    /** A record without limits. */
    public TokenRecord(TokenId id, String agentName, Instant createdAt, Instant expiresAt) {
        this(id, agentName, createdAt, expiresAt, TokenLimits.NONE);
    }

    /** A record of a token an issuer handed out by name, with no verified identity behind it. */
    public TokenRecord(TokenId id, String agentName, Instant createdAt, Instant expiresAt, TokenLimits limits) {
        this(id, agentName, createdAt, expiresAt, limits, Optional.empty());
    }

    public TokenRecord {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(agentName, "agentName");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(expiresAt, "expiresAt");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(identity, "identity");
    }

    /** Whether the token no longer validates at {@code now}. */
    public boolean isExpiredAt(Instant now) {
        return !now.isBefore(expiresAt);
    }
}
