package dev.creddy.anthropic.web;

import dev.creddy.anthropic.identity.AgentIdentities;
import dev.creddy.anthropic.identity.AgentTokenRefusedException;
import dev.creddy.anthropic.identity.AgentTokenVerifier;
import dev.creddy.anthropic.observe.DeploymentSingleton;
import dev.creddy.anthropic.observe.ProxyMetrics;
import dev.creddy.anthropic.token.TokenRecord;
import dev.creddy.anthropic.token.TokenRegistry;
import dev.creddy.anthropic.token.TokenSecrets;
import dev.creddy.anthropic.token.TokenStoreUnavailableException;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import java.time.Instant;
import java.util.Optional;

/**
 * Authenticates a forwarded request by its {@code crd_} token, and counts refusals by reason.
 * Messages never repeat what the client presented. A token the store cannot check is not
 * accepted: the request is refused as unavailable. With {@code oidc-direct-use}, an agent's identity
 * token is accepted in place of a {@code crd_} token, verified on every request. A token bound to
 * addresses by its identity's {@code ip_restriction} is refused (403) from any other address.
 *
 * <p>One instance per deployment, injected without a client proxy ({@link DeploymentSingleton}): it is
 * called on every request, and a client proxy dispatches this package-private method by reflection.
 * Thread-safe: it holds only thread-safe collaborators.
 */
@DeploymentSingleton
public class TokenAuthenticator {

    private final TokenRegistry registry;
    private final ProxyMetrics metrics;
    private final AgentIdentities identities;

    @Inject
    public TokenAuthenticator(TokenRegistry registry, ProxyMetrics metrics, AgentIdentities identities) {
        this.registry = registry;
        this.metrics = metrics;
        this.identities = identities;
    }

    Authentication authenticate(HttpServletRequest request) {
        Authentication authentication = check(request);
        if (!authentication.isRefused()) {
            authentication = withinIpRestriction(authentication, request.getRemoteAddr());
        }
        if (authentication.isRefused()) {
            metrics.tokenRejected(authentication.reason());
        }
        return authentication;
    }

    private Authentication check(HttpServletRequest request) {
        CredentialHeaders.Found found = CredentialHeaders.read(request);
        if (found.problem() != null) {
            return Authentication.refused(found.reason(), found.problem());
        }
        if (found.credential().isEmpty()) {
            return Authentication.refused("missing",
                    "missing token: send your crd_ token in the x-api-key header or as Authorization: Bearer");
        }
        String invalid = "invalid token: it is unknown, expired or revoked";
        if (!TokenSecrets.isWellFormed(found.credential().get())) {
            Optional<AgentTokenVerifier> direct = identities.verifier().filter(AgentTokenVerifier::acceptsDirectUse);
            if (direct.isPresent() && AgentTokenVerifier.looksLikeJwt(found.credential().get())) {
                return direct(direct.get(), found.credential().get());
            }
            // Not a crd_ token at all (often a real Anthropic key sent by mistake): the store is not asked.
            return Authentication.refused("malformed", invalid);
        }
        Optional<TokenRecord> caller;
        try {
            caller = registry.validate(found.credential().get());
        } catch (TokenStoreUnavailableException e) {
            return Authentication.undecided();
        }
        return caller.map(Authentication::of).orElseGet(() -> Authentication.refused("unknown", invalid));
    }

    private static Authentication direct(AgentTokenVerifier verifier, String jwt) {
        try {
            return Authentication.direct(AgentIdentities.directRecord(jwt, verifier.verify(jwt), Instant.now()));
        } catch (AgentTokenRefusedException e) {
            return Authentication.refused(IdentityRefusal.reason(e), IdentityRefusal.error(e));
        }
    }

    private static Authentication withinIpRestriction(Authentication authentication, String clientAddress) {
        return IpBinding.check(authentication.caller().identity(), clientAddress)
                .map(error -> Authentication.refused("ip_restricted", error))
                .orElse(authentication);
    }
}
