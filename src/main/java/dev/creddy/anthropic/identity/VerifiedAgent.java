package dev.creddy.anthropic.identity;

import dev.creddy.anthropic.token.AgentIdentity;
import dev.creddy.anthropic.token.TokenLimits;
import java.time.Instant;
import java.util.Objects;

/**
 * What a verified identity token says: the agent's name, when the token expires, and the identity to
 * record. Immutable.
 *
 * @param agentName from the configured agent claim, else {@code sub}; already checked like a requested agent name
 * @param expiresAt the token's {@code exp}
 * @param identity the issuer, subject and the other claims the audit trail keeps
 * @param limits what its tokens may spend: its {@code oidc-policy} rule, anything it leaves out from {@code default-limits}
 */
public record VerifiedAgent(String agentName, Instant expiresAt, AgentIdentity identity, TokenLimits limits) {

    public VerifiedAgent {
        Objects.requireNonNull(agentName, "agentName");
        Objects.requireNonNull(expiresAt, "expiresAt");
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(limits, "limits");
    }
}
