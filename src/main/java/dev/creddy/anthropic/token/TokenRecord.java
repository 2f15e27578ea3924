package dev.creddy.anthropic.token;

import java.time.Instant;
import java.util.Objects;

/**
 * What the registry knows of a token: its metadata, never its secret. Immutable.
 *
 * @param id the non-secret id
 * @param agentName who the token was issued to, as the issuer named it
 * @param createdAt when it was issued
 * @param expiresAt when it stops validating
 * @param limits what it may spend
 */
public record TokenRecord(TokenId id, String agentName, Instant createdAt, Instant expiresAt, TokenLimits limits) {

    /** A record without limits. */
    public TokenRecord(TokenId id, String agentName, Instant createdAt, Instant expiresAt) {
        this(id, agentName, createdAt, expiresAt, TokenLimits.NONE);
    }

    public TokenRecord {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(agentName, "agentName");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(expiresAt, "expiresAt");
        Objects.requireNonNull(limits, "limits");
    }

    /** Whether the token no longer validates at {@code now}. */
    public boolean isExpiredAt(Instant now) {
        return !now.isBefore(expiresAt);
    }
}
