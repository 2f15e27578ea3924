package dev.creddy.anthropic.token;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * What an issuer grants with a new token, already validated: who it is for, how long it lives and
 * what it may spend. Immutable.
 *
 * @param agentName who the token is for
 * @param ttl how long it lives, already checked against the maximum
 * @param limits what it may spend
 * @param identity the agent's verified identity, when it asked with its own identity token
 */
public record TokenGrant(String agentName, Duration ttl, TokenLimits limits, Optional<AgentIdentity> identity) {

    public TokenGrant {
        Objects.requireNonNull(agentName, "agentName");
        Objects.requireNonNull(ttl, "ttl");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(identity, "identity");
    }

    /** A grant by an issuer, with no verified identity behind it. */
    public TokenGrant(String agentName, Duration ttl, TokenLimits limits) {
        this(agentName, ttl, limits, Optional.empty());
    }
}
