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
 */
public record TokenRecord(TokenId id, String agentName, Instant createdAt, Instant expiresAt) {

    public TokenRecord {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(agentName, "agentName");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(expiresAt, "expiresAt");
    }

    /** Whether the token no longer validates at {@code now}. */
    public boolean isExpiredAt(Instant now) {
        return !now.isBefore(expiresAt);
    }
}
