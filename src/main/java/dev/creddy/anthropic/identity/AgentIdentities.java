package dev.creddy.anthropic.identity;

import dev.creddy.anthropic.config.Settings;
import dev.creddy.anthropic.token.TokenRecord;
import dev.creddy.anthropic.token.TokenSecrets;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The application's agent identity tokens: the {@link AgentTokenVerifier} of the configured issuers,
 * created as the application starts when {@code oidc-issuer} is set, and stopped with it. Thread-safe:
 * the verifier is set once at start-up.
 */
@ApplicationScoped
public class AgentIdentities {

    private static final Logger LOG = Logger.getLogger(AgentIdentities.class.getName());

    private volatile Optional<AgentTokenVerifier> verifier = Optional.empty();

    /** Runs after the settings exist (they are built by an observer with the default priority). */
    void start(@Observes @Priority(Interceptor.Priority.APPLICATION + 600) @Initialized(ApplicationScoped.class) Object started,
            Settings settings) {
        verifier = settings.oidc().map(oidc -> new AgentTokenVerifier(oidc, settings.defaultLimits(), Clock.systemUTC()));
        settings.oidc().ifPresent(oidc -> LOG.info(() -> "identity tokens accepted from " + oidc.issuers() + " for audience "
                + oidc.audience() + (oidc.directUse() ? ", also in place of crd_ tokens" : "")));
    }

    /** The verifier, or empty when no issuer is trusted. */
    public Optional<AgentTokenVerifier> verifier() {
        return verifier;
    }

    /**
     * The record a directly used identity token stands for: an id derived from the token (the same on
     * every request and on every instance, never revealing it), the agent, its expiry, and the limits
     * {@code oidc-policy} gives it, exactly as an exchanged token would have.
     */
    public static TokenRecord directRecord(String jwt, VerifiedAgent agent, Instant now) {
        return new TokenRecord(TokenSecrets.idOf(jwt), agent.agentName(), now.truncatedTo(ChronoUnit.SECONDS),
                agent.expiresAt(), agent.limits(), Optional.of(agent.identity()));
    }

    @PreDestroy
    void stop() {
        verifier.ifPresent(AgentTokenVerifier::close);
    }
}
