package dev.creddy.anthropic.token;

import java.time.Duration;
import java.util.Objects;

/**
 * What an issuer grants with a new token, already validated: who it is for, how long it lives and
 * what it may spend. Immutable.
 *
 * @param agentName who the token is for
 * @param ttl how long it lives, already checked against the maximum
 * @param limits what it may spend
 */
public record TokenGrant(String agentName, Duration ttl, TokenLimits limits) {

    public TokenGrant {
        Objects.requireNonNull(agentName, "agentName");
        Objects.requireNonNull(ttl, "ttl");
        Objects.requireNonNull(limits, "limits");
    }
}
