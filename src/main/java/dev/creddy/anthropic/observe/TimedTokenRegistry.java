package dev.creddy.anthropic.observe;

import dev.creddy.anthropic.token.IssuedToken;
import dev.creddy.anthropic.token.TokenGrant;
import dev.creddy.anthropic.token.TokenId;
import dev.creddy.anthropic.token.TokenLimits;
import dev.creddy.anthropic.token.TokenRecord;
import dev.creddy.anthropic.token.TokenRegistry;
import jakarta.annotation.Priority;
import jakarta.decorator.Decorator;
import jakarta.decorator.Delegate;
import jakarta.enterprise.context.Dependent;
import jakarta.enterprise.inject.Any;
import jakarta.inject.Inject;
import jakarta.interceptor.Interceptor;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Measures the token registry whatever its store (memory or Redis): the time of each call
 * ({@code creddy.token.registry}, by operation) and the tokens issued and revoked. A CDI decorator,
 * so the stores stay free of metrics.
 *
 * <p>It implements every method of {@link TokenRegistry}, default ones included: a default method
 * left to the interface would run the interface's default here instead of the store's own.
 *
 * <p>Thread-safe: it holds nothing of its own.
 */
@Decorator
@Dependent
@Priority(Interceptor.Priority.APPLICATION)
public abstract class TimedTokenRegistry implements TokenRegistry {

    @Inject
    @Delegate
    @Any
    TokenRegistry store;

    @Inject
    ProxyMetrics metrics;

    @Override
    public IssuedToken issue(TokenGrant grant) {
        IssuedToken issued = metrics.registryTimer("issue").record(() -> store.issue(grant));
        metrics.tokenIssued();
        return issued;
    }

    @Override
    public IssuedToken issue(String agentName, Duration ttl) {
        // The interface's default would reach the store without passing through here again.
        return issue(new TokenGrant(agentName, ttl, TokenLimits.NONE));
    }

    @Override
    public Optional<TokenRecord> validate(String presentedSecret) {
        return metrics.registryTimer("validate").record(() -> store.validate(presentedSecret));
    }

    @Override
    public boolean revoke(TokenId id) {
        Boolean revoked = metrics.registryTimer("revoke").record(() -> store.revoke(id));
        if (Boolean.TRUE.equals(revoked)) {
            metrics.tokenRevoked();
        }
        return Boolean.TRUE.equals(revoked);
    }

    @Override
    public List<TokenRecord> list(int limit, Optional<TokenId> after) {
        return metrics.registryTimer("list").record(() -> store.list(limit, after));
    }

    @Override
    public long activeCount() {
        return store.activeCount();
    }

    @Override
    public Optional<String> unavailableReason() {
        return store.unavailableReason();
    }
}
