package dev.creddy.anthropic.web;

import dev.creddy.anthropic.observe.ProxyMetrics;
import dev.creddy.anthropic.token.TokenRecord;
import dev.creddy.anthropic.token.TokenRegistry;
import dev.creddy.anthropic.token.TokenSecrets;
import dev.creddy.anthropic.token.TokenStoreUnavailableException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Optional;

/**
 * Authenticates a forwarded request by its {@code crd_} token, and counts refusals by reason.
 * Messages never repeat what the client presented. A token the store cannot check is not
 * accepted: the request is refused as unavailable. Thread-safe.
 */
@ApplicationScoped
public class TokenAuthenticator {

    private TokenRegistry registry;
    private ProxyMetrics metrics;

    /** For CDI's proxy. */
    protected TokenAuthenticator() {
    }

    @Inject
    public TokenAuthenticator(TokenRegistry registry, ProxyMetrics metrics) {
        this.registry = registry;
        this.metrics = metrics;
    }

    Authentication authenticate(HttpServletRequest request) {
        Authentication authentication = check(request);
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
}
