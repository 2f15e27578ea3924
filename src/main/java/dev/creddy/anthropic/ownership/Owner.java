package dev.creddy.anthropic.ownership;

import dev.creddy.anthropic.token.TokenRecord;

/**
 * Who owns the files and batches a token creates, as one string a store can hold and compare.
 * <ul>
 *   <li><b>The agent, not the token.</b> Tokens live for minutes; an agent that gets a new token
 *       every five minutes (Claude Code's {@code apiKeyHelper}) must still reach the batch it created
 *       an hour ago. So every token of the same agent shares its objects, and no other token sees them.</li>
 *   <li><b>Named by who named it.</b> An agent named by an issuer ({@code agent_name} at issuance) is
 *       {@code agent:<name>}; an agent that got its token with its own identity token is
 *       {@code identity:<issuer>|<name>}, so two identity providers (or an issuer and a provider) that
 *       happen to use the same name never share a workspace's objects.</li>
 *   <li><b>Unnamed tokens share nothing.</b> A token issued without {@code agent_name} gets the
 *       default name {@code unnamed}, which many unrelated tokens have; its objects are its own
 *       ({@code token:<id>}), as if each were its own agent.</li>
 * </ul>
 * Stateless.
 */
public final class Owner {

    /** The agent name issuance gives a token whose request names none (web's {@code TokenRequest}). */
    static final String DEFAULT_AGENT_NAME = "unnamed";

    private Owner() {
    }

    /** The owner a token's new objects are recorded under, and the only one whose objects it reaches. */
    public static String of(TokenRecord token) {
        if (token.identity().isPresent()) {
            // Agent names hold no control characters (AgentNames), so the separator cannot be forged into one.
            return "identity:" + token.identity().get().issuer() + "\u0001" + token.agentName();
        }
        if (token.agentName().equals(DEFAULT_AGENT_NAME)) {
            return "token:" + token.id().value();
        }
        return "agent:" + token.agentName();
    }
}
