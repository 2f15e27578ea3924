package dev.creddy.anthropic.observe;

import dev.creddy.anthropic.forward.ContextualInstances;
import dev.creddy.anthropic.token.ConfiguredTokenRegistry;
import dev.creddy.anthropic.token.TokenRegistry;
import jakarta.enterprise.context.Dependent;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * The application's {@link TokenRegistry}: the configured store, measured by {@link TimedTokenRegistry}.
 * One instance per deployment, injected without a client proxy (see {@link DeploymentSingleton}).
 * The store's lifecycle stays with {@link ConfiguredTokenRegistry}. Stateless.
 */
@Dependent
public class TokenRegistryProducer {

    @Produces
    @Singleton
    TokenRegistry tokenRegistry(ConfiguredTokenRegistry configured, ProxyMetrics metrics) {
        // The store behind its client proxy: every forwarded request validates through it.
        return new TimedTokenRegistry(ContextualInstances.unwrap(configured), metrics);
    }
}
