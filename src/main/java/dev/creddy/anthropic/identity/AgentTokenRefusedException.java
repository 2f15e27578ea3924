package dev.creddy.anthropic.identity;

import java.time.Duration;
import java.util.Objects;

/**
 * An identity token the proxy will not accept, or cannot check now. The message says what is wrong
 * in terms the agent's operator can act on, and never quotes the token. Immutable.
 */
public final class AgentTokenRefusedException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why: the token does not prove an identity, it proves one without the right, or no keys are at hand. */
    public enum Kind {
        /** Forged, expired, not yet valid, from an untrusted issuer, for another audience, malformed. */
        UNAUTHENTICATED,
        /** Genuine, but it does not grant the required scope, or its claims cannot be honoured. */
        FORBIDDEN,
        /** The issuer's keys could not be fetched and none are cached: try again later. */
        UNAVAILABLE
    }

    /** How long to wait before asking again when the issuer's keys are unavailable. */
    public static final Duration RETRY_AFTER = Duration.ofSeconds(5);

    private final Kind kind;

    public AgentTokenRefusedException(Kind kind, String message) {
        super(message, null, false, false);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    public Kind kind() {
        return kind;
    }
}
