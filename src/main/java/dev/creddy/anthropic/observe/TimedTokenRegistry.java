package dev.creddy.anthropic.observe;

import dev.creddy.anthropic.token.IssuedToken;
import dev.creddy.anthropic.token.TokenGrant;
import dev.creddy.anthropic.token.TokenId;
import dev.creddy.anthropic.token.TokenLimits;
import dev.creddy.anthropic.token.TokenRecord;
import dev.creddy.anthropic.token.TokenRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Measures the token registry whatever its store (memory or Redis): the time of each call
 * ({@code creddy.token.registry}, by operation) and the tokens issued and revoked, so the stores stay
 * free of metrics.
 *
 * <p>A plain wrapper made once by {@link TokenRegistryProducer}, not a CDI decorator: Weld calls a
 * decorator, and the decorated bean behind it, by reflection ({@code Method.invoke}) on every call,
 * and {@link #validate} runs on every forwarded request. The timers are looked up once, here.
 *
 * <p>It implements every method of {@link TokenRegistry}, default ones included: a default method
 * left to the interface would run the interface's default here instead of the store's own.
 *
 * <p>Thread-safe: it holds only the store and meters, which are.
 */
final class TimedTokenRegistry implements TokenRegistry {

    private final TokenRegistry store;
    private final ProxyMetrics metrics;
    private final Timer issueTimer;
    private final Timer validateTimer;
    private final Timer revokeTimer;
    private final Timer listTimer;

    TimedTokenRegistry(TokenRegistry store, ProxyMetrics metrics) {
        this.store = store;
        this.metrics = metrics;
        this.issueTimer = metrics.registryTimer("issue");
        this.validateTimer = metrics.registryTimer("validate");
        this.revokeTimer = metrics.registryTimer("revoke");
        this.listTimer = metrics.registryTimer("list");
    }

    @Override
    public IssuedToken issue(TokenGrant grant) {
        IssuedToken issued = issueTimer.record(() -> store.issue(grant));
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
        long start = System.nanoTime();
        try {
            return store.validate(presentedSecret);
        } finally {
            validateTimer.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public boolean revoke(TokenId id) {
        Boolean revoked = revokeTimer.record(() -> store.revoke(id));
        if (Boolean.TRUE.equals(revoked)) {
            metrics.tokenRevoked();
        }
        return Boolean.TRUE.equals(revoked);
    }

    @Override
    public List<TokenRecord> revokeSubject(String subject, Optional<String> issuer) {
        List<TokenRecord> revoked = revokeTimer.record(() -> store.revokeSubject(subject, issuer));
        revoked.forEach(record -> metrics.tokenRevoked());
        return revoked;
    }

    @Override
    public List<TokenRecord> list(int limit, Optional<TokenId> after) {
        return listTimer.record(() -> store.list(limit, after));
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
