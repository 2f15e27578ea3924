package dev.creddy.anthropic.web;

import dev.creddy.anthropic.token.TokenRecord;
import dev.creddy.anthropic.token.TokenRegistry;
import dev.creddy.anthropic.token.TokenStoreUnavailableException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Optional;

/**
 * Authenticates a forwarded request by its {@code crd_} token. Messages never repeat what the
 * client presented. A token the store cannot check is not accepted: the request is refused as
 * unavailable. Thread-safe.
 */
@ApplicationScoped
public class TokenAuthenticator {

    private TokenRegistry registry;

    /** For CDI's proxy. */
    protected TokenAuthenticator() {
    }

    @Inject
    public TokenAuthenticator(TokenRegistry registry) {
        this.registry = registry;
    }

    Authentication authenticate(HttpServletRequest request) {
        CredentialHeaders.Found found = CredentialHeaders.read(request);
        if (found.problem() != null) {
            return Authentication.refused(found.problem());
        }
        if (found.credential().isEmpty()) {
            return Authentication.refused(
                    "missing token: send your crd_ token in the x-api-key header or as Authorization: Bearer");
        }
        Optional<TokenRecord> caller;
        try {
            caller = registry.validate(found.credential().get());
        } catch (TokenStoreUnavailableException e) {
            return Authentication.undecided();
        }
        return caller.map(Authentication::of)
                .orElseGet(() -> Authentication.refused("invalid token: it is unknown, expired or revoked"));
    }
}
