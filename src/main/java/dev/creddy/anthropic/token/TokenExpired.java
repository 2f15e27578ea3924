package dev.creddy.anthropic.token;

import java.util.Objects;

/**
 * A token's lifetime ran out and its store dropped it: the audit trail and the metrics hear of it.
 * Stores whose backend expires records by itself (Redis) may not report this. Immutable.
 *
 * @param record what the token was
 */
public record TokenExpired(TokenRecord record) {

    public TokenExpired {
        Objects.requireNonNull(record, "record");
    }
}
