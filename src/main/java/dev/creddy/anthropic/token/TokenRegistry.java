package dev.creddy.anthropic.token;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Issues, validates and revokes short-lived tokens. The seam between the web layer and a store:
 * in memory for one instance, Redis for several. Implementations are thread-safe, keep only
 * digests of secrets, and never validate an expired token whatever their store's own expiry does.
 *
 * <p>A store that lives elsewhere can be out of reach: then every method throws
 * {@link TokenStoreUnavailableException} within the store's timeout, and nothing is granted.
 */
public interface TokenRegistry {

    /** Issues a new token with what {@code grant} says, already validated by the caller. */
    IssuedToken issue(TokenGrant grant);

    /** Issues a new token without limits. */
    default IssuedToken issue(String agentName, Duration ttl) {
        return issue(new TokenGrant(agentName, ttl, TokenLimits.NONE));
    }

    /** The record of a live token whose secret is {@code presentedSecret}, or empty. */
    Optional<TokenRecord> validate(String presentedSecret);

    /** Revokes a token at once; false when there is no live token with that id. */
    boolean revoke(TokenId id);

    /**
     * Revokes at once every live token whose verified identity has {@code subject} (and, when given,
     * {@code issuer}): all tokens of one person or workload. Tokens issued while this runs may survive it.
     *
     * <p>This default pages through {@link #list} and revokes each match, which is right for any store;
     * the stores override it with a lookup of their own.
     *
     * @return the records of the tokens it revoked, for the audit trail
     */
    default List<TokenRecord> revokeSubject(String subject, Optional<String> issuer) {
        List<TokenRecord> matches = new java.util.ArrayList<>();
        Optional<TokenId> after = Optional.empty();
        while (true) {
            List<TokenRecord> page = list(1000, after);
            for (TokenRecord record : page) {
                if (record.identity().filter(identity -> identity.subject().equals(subject)
                        && issuer.map(identity.issuer()::equals).orElse(true)).isPresent()) {
                    matches.add(record);
                }
            }
            if (page.size() < 1000) {
                break;
            }
            after = Optional.of(page.get(page.size() - 1).id());
        }
        return matches.stream().filter(record -> revoke(record.id())).toList();
    }

    /**
     * One page of the live tokens, in order of their ids.
     *
     * @param limit at most this many records, at least 1
     * @param after start after this id (exclusive), or from the first id when empty
     * @throws IllegalArgumentException when {@code limit} is below 1
     */
    List<TokenRecord> list(int limit, Optional<TokenId> after);

    /**
     * How many tokens are live now, for the active-tokens gauge. Read on every metrics scrape, so it
     * must be cheap; -1 when the store cannot tell.
     */
    default long activeCount() {
        return -1;
    }

    /**
     * Why the store cannot serve now (e.g. its server does not answer), for the readiness check; empty
     * when it can. Called on every readiness probe, so it must be quick and bounded in time.
     */
    default Optional<String> unavailableReason() {
        return Optional.empty();
    }
}
