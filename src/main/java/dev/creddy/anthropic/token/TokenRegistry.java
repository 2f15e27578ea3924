package dev.creddy.anthropic.token;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Issues, validates and revokes short-lived tokens. The seam between the web layer and a store:
 * in memory for one instance, Redis for several. Implementations are thread-safe, keep only
 * digests of secrets, and never validate an expired token whatever their store's own expiry does.
 */
public interface TokenRegistry {

    /**
     * Issues a new token.
     *
     * @param agentName who the token is for, already validated by the caller
     * @param ttl how long it lives, already checked against the maximum
     */
    IssuedToken issue(String agentName, Duration ttl);

    /** The record of a live token whose secret is {@code presentedSecret}, or empty. */
    Optional<TokenRecord> validate(String presentedSecret);

    /** Revokes a token at once; false when there is no live token with that id. */
    boolean revoke(TokenId id);

    /** The live tokens, soonest expiry first. */
    List<TokenRecord> list();
}
