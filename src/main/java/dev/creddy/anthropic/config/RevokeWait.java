package dev.creddy.anthropic.config;

import java.time.Duration;
import java.util.Objects;

/**
 * How a revocation waits for Redis replicas ({@code redis-revoke-wait-replicas},
 * {@code redis-revoke-wait-timeout}): Redis replicates asynchronously, so a revocation acknowledged
 * by the primary alone is lost if the primary fails before a replica has it, and the promoted replica
 * accepts the token again. With {@code replicas > 0}, {@code DELETE /v1/tokens/{id}} answers only
 * once that many replicas have acknowledged it ({@code WAIT}), or 503 after {@code timeout}. Immutable.
 *
 * @param replicas how many replicas must acknowledge; 0 does not wait
 * @param timeout how long to wait for them
 */
public record RevokeWait(int replicas, Duration timeout) {

    /** Revocations answer once the primary has them, as without the setting. */
    public static final RevokeWait OFF = new RevokeWait(0, Duration.ofSeconds(1));

    public RevokeWait {
        Objects.requireNonNull(timeout, "timeout");
        if (replicas < 0 || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("replicas must be 0 or more and the timeout longer than zero");
        }
    }

    /** Whether revocations wait at all. */
    public boolean waits() {
        return replicas > 0;
    }
}
