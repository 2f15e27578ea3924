package dev.creddy.anthropic.config;

import dev.creddy.anthropic.token.TokenLimits;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The proxy's configuration: one immutable value built once at deployment by {@link SettingsLoader}.
 * Secrets are {@link Secret}s, so {@link #toString()} is safe to log.
 *
 * @param anthropicApiKey the real key; empty means the proxy is not configured (health says why, forwarding answers 503)
 * @param upstreamUrl where every forwarded request goes, without a trailing slash
 * @param issuerKey the bearer key that authorizes token issuance
 * @param maxTtl the longest lifetime a token may be issued for
 * @param defaultTtl the lifetime of a token whose request names none
 * @param openIssuance whether anyone may issue tokens when no issuer key is configured (local experiments only)
 * @param upstreamConnectTimeout how long to wait for a connection to the upstream
 * @param upstreamHeaderTimeout how long to wait for the upstream's response headers (504 after)
 * @param upstreamIdleTimeout how long a response body may be silent between chunks
 * @param upstreamMaxConnections the size of the upstream connection pool
 * @param maxRequestBody the largest request body forwarded, in bytes (413 above)
 * @param shutdownGrace how long undeployment waits for in-flight upstream exchanges
 * @param metrics whether metrics are kept and shown (JMX and {@code /metrics})
 * @param metricsKey a bearer key that may read {@code /metrics} besides the issuer key
 * @param metricsMaxAgents how many distinct agent names get their own metrics tag; the rest share {@code other}
 * @param tokenStore where tokens live
 * @param redis how to reach Redis; present exactly when {@code tokenStore} is {@link TokenStoreKind#REDIS}
 * @param maxUploadBody the largest body of a bulk upload (Files API upload, batch creation), in bytes (413 above)
 * @param publicUrl the URL agents reach the proxy at, when the operator set it; it wins over anything a request says
 * @param trustForwardedHeaders whether a front proxy's {@code Forwarded} / {@code X-Forwarded-*} headers tell the public URL
 * @param defaultLimits the limits of a token whose request leaves them out
 * @param usageMetering whether token usage is read from responses (without it, tpm and max_tokens_total count nothing)
 * @param usageRetention how long the hourly usage history is kept for reports (at least an hour)
 * @param oidc how agents prove their identity with a JWT; empty when no issuer is trusted (the feature is off)
 * @param console the operator console: on or off, and how long its sessions last
 * @param requestBodyTimeout the longest a client may take to send a request body (408 after)
 * @param upstreamPoolWait how long an exchange waits for a pooled upstream connection (503 after)
 * @param upstreamConnectionsPerToken how many upstream connections one token may hold at once (429 above)
 * @param deviceSignIn Claude Code's gateway sign-in; empty when {@code device-sign-in} is off
 * @param priceTable what each model costs: the built-in table with {@code price-table} laid over it
 * @param agentBudgets dollar budgets per agent name ({@code agent-budgets}), in micro-dollars per rolling 24 hours
 * @param enforcement per-agent concurrency caps, the concurrency lease, and how budgets reach running streams
 */
public record Settings(
        Optional<Secret> anthropicApiKey,
        URI upstreamUrl,
        Optional<Secret> issuerKey,
        Duration maxTtl,
        Duration defaultTtl,
        boolean openIssuance,
        Duration upstreamConnectTimeout,
        Duration upstreamHeaderTimeout,
        Duration upstreamIdleTimeout,
        int upstreamMaxConnections,
        long maxRequestBody,
        Duration shutdownGrace,
        boolean metrics,
        Optional<Secret> metricsKey,
        int metricsMaxAgents,
        TokenStoreKind tokenStore,
        Optional<RedisSettings> redis,
        long maxUploadBody,
        Optional<URI> publicUrl,
        boolean trustForwardedHeaders,
        TokenLimits defaultLimits,
        boolean usageMetering,
        Duration usageRetention,
        Optional<OidcSettings> oidc,
        ConsoleSettings console,
        Duration requestBodyTimeout,
        Duration upstreamPoolWait,
        int upstreamConnectionsPerToken,
        Optional<DeviceSignInSettings> deviceSignIn,
        dev.creddy.anthropic.usage.PriceTable priceTable,
        java.util.Map<String, Long> agentBudgets,
        EnforcementSettings enforcement) {

    public Settings {
        Objects.requireNonNull(anthropicApiKey, "anthropicApiKey");
        Objects.requireNonNull(upstreamUrl, "upstreamUrl");
        Objects.requireNonNull(issuerKey, "issuerKey");
        Objects.requireNonNull(maxTtl, "maxTtl");
        Objects.requireNonNull(defaultTtl, "defaultTtl");
        Objects.requireNonNull(upstreamConnectTimeout, "upstreamConnectTimeout");
        Objects.requireNonNull(upstreamHeaderTimeout, "upstreamHeaderTimeout");
        Objects.requireNonNull(upstreamIdleTimeout, "upstreamIdleTimeout");
        Objects.requireNonNull(shutdownGrace, "shutdownGrace");
        Objects.requireNonNull(metricsKey, "metricsKey");
        Objects.requireNonNull(tokenStore, "tokenStore");
        Objects.requireNonNull(redis, "redis");
        if (redis.isPresent() != (tokenStore == TokenStoreKind.REDIS)) {
            throw new IllegalArgumentException("Redis settings belong to the Redis token store, and it needs them");
        }
        Objects.requireNonNull(publicUrl, "publicUrl");
        Objects.requireNonNull(defaultLimits, "defaultLimits");
        Objects.requireNonNull(usageRetention, "usageRetention");
        Objects.requireNonNull(oidc, "oidc");
        Objects.requireNonNull(console, "console");
        Objects.requireNonNull(requestBodyTimeout, "requestBodyTimeout");
        Objects.requireNonNull(upstreamPoolWait, "upstreamPoolWait");
        Objects.requireNonNull(deviceSignIn, "deviceSignIn");
        Objects.requireNonNull(priceTable, "priceTable");
        agentBudgets = java.util.Map.copyOf(agentBudgets);
        Objects.requireNonNull(enforcement, "enforcement");
    }

    /** Why the proxy cannot forward, or empty when it can. */
    public Optional<String> unconfiguredReason() {
        if (anthropicApiKey.isEmpty()) {
            return Optional.of("no Anthropic API key is configured: set anthropic-api-key (JNDI creddy/anthropic-api-key, "
                    + "context parameter creddy.anthropic-api-key, environment variable ANTHROPIC_API_KEY or --api-key)");
        }
        return Optional.empty();
    }
}
