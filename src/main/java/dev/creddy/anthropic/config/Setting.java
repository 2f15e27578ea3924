package dev.creddy.anthropic.config;

/**
 * Every setting the proxy reads, with the name operators use (JNDI {@code creddy/<name>}, context
 * parameter {@code creddy.<name>}), its environment variable and its default. Immutable.
 */
public enum Setting {
    ANTHROPIC_API_KEY("anthropic-api-key", "ANTHROPIC_API_KEY", null, true),
    UPSTREAM_URL("upstream-url", "CREDDY_UPSTREAM_URL", "https://api.anthropic.com", false),
    ISSUER_KEY("issuer-key", "CREDDY_ISSUER_KEY", null, true),
    MAX_TTL("max-ttl", "CREDDY_MAX_TTL", "24h", false),
    DEFAULT_TTL("default-ttl", "CREDDY_DEFAULT_TTL", "1h", false),
    OPEN_ISSUANCE("open-issuance", "CREDDY_OPEN_ISSUANCE", "false", false),
    UPSTREAM_CONNECT_TIMEOUT("upstream-connect-timeout", "CREDDY_UPSTREAM_CONNECT_TIMEOUT", "10s", false),
    UPSTREAM_HEADER_TIMEOUT("upstream-header-timeout", "CREDDY_UPSTREAM_HEADER_TIMEOUT", "10m", false),
    UPSTREAM_IDLE_TIMEOUT("upstream-idle-timeout", "CREDDY_UPSTREAM_IDLE_TIMEOUT", "10m", false),
    UPSTREAM_MAX_CONNECTIONS("upstream-max-connections", "CREDDY_UPSTREAM_MAX_CONNECTIONS", "1024", false),
    MAX_REQUEST_BODY("max-request-body", "CREDDY_MAX_REQUEST_BODY", "32MB", false),
    SHUTDOWN_GRACE("shutdown-grace", "CREDDY_SHUTDOWN_GRACE", "30s", false),
    METRICS("metrics", "CREDDY_METRICS", "on", false),
    METRICS_KEY("metrics-key", "CREDDY_METRICS_KEY", null, true),
    METRICS_MAX_AGENTS("metrics-max-agents", "CREDDY_METRICS_MAX_AGENTS", "100", false),
    /** {@code memory} or {@code redis}; without a value, {@code redis} when a Redis URL is set. */
    TOKEN_STORE("token-store", "CREDDY_TOKEN_STORE", null, false),
    /** Not a secret as a whole, but its user info may hold a password: never quoted. */
    REDIS_URL("redis-url", "CREDDY_REDIS_URL", null, false),
    REDIS_PASSWORD("redis-password", "CREDDY_REDIS_PASSWORD", null, true),
    REDIS_COMMAND_TIMEOUT("redis-command-timeout", "CREDDY_REDIS_COMMAND_TIMEOUT", "2s", false),
    REDIS_CACHE_TTL("redis-cache-ttl", "CREDDY_REDIS_CACHE_TTL", "1s", false),
    REDIS_USERNAME("redis-username", "CREDDY_REDIS_USERNAME", null, false),
    /** A file holding the Redis password, read again on every new connection (rotation without restart). */
    REDIS_PASSWORD_FILE("redis-password-file", "CREDDY_REDIS_PASSWORD_FILE", null, false),
    REDIS_KEY_PREFIX("redis-key-prefix", "CREDDY_REDIS_KEY_PREFIX", "creddy:", false),
    REDIS_CLUSTER("redis-cluster", "CREDDY_REDIS_CLUSTER", "off", false),
    REDIS_TLS_CA("redis-tls-ca", "CREDDY_REDIS_TLS_CA", null, false),
    REDIS_TLS_CERT("redis-tls-cert", "CREDDY_REDIS_TLS_CERT", null, false),
    REDIS_TLS_KEY("redis-tls-key", "CREDDY_REDIS_TLS_KEY", null, false),
    REDIS_TLS_KEY_PASSWORD("redis-tls-key-password", "CREDDY_REDIS_TLS_KEY_PASSWORD", null, true),
    REDIS_TLS_VERIFY_HOSTNAME("redis-tls-verify-hostname", "CREDDY_REDIS_TLS_VERIFY_HOSTNAME", "true", false),
    MAX_UPLOAD_BODY("max-upload-body", "CREDDY_MAX_UPLOAD_BODY", "500MB", false),
    PUBLIC_URL("public-url", "CREDDY_PUBLIC_URL", null, false),
    TRUST_FORWARDED_HEADERS("trust-forwarded-headers", "CREDDY_TRUST_FORWARDED_HEADERS", "false", false),
    /** JSON limits ({@code {"rpm":60,"models":["claude-haiku"]}}) for tokens whose request leaves them out. */
    DEFAULT_LIMITS("default-limits", "CREDDY_DEFAULT_LIMITS", "{}", false),
    USAGE_METERING("usage-metering", "CREDDY_USAGE_METERING", "on", false),
    USAGE_RETENTION("usage-retention", "CREDDY_USAGE_RETENTION", "168h", false),
    /** Trusted issuers of agent identity tokens, comma or whitespace separated; none switches the feature off. */
    OIDC_ISSUER("oidc-issuer", "CREDDY_OIDC_ISSUER", null, false),
    OIDC_AUDIENCE("oidc-audience", "CREDDY_OIDC_AUDIENCE", null, false),
    OIDC_REQUIRED_SCOPE("oidc-required-scope", "CREDDY_OIDC_REQUIRED_SCOPE", "anthropic", false),
    OIDC_AGENT_CLAIM("oidc-agent-claim", "CREDDY_OIDC_AGENT_CLAIM", "agent_name", false),
    /** Without a value: {@code scopes} (an array), then {@code scope} (space separated). */
    OIDC_SCOPES_CLAIM("oidc-scopes-claim", "CREDDY_OIDC_SCOPES_CLAIM", null, false),
    OIDC_CLOCK_SKEW("oidc-clock-skew", "CREDDY_OIDC_CLOCK_SKEW", "60s", false),
    OIDC_JWKS_REFRESH("oidc-jwks-refresh", "CREDDY_OIDC_JWKS_REFRESH", "1h", false),
    OIDC_DIRECT_USE("oidc-direct-use", "CREDDY_OIDC_DIRECT_USE", "false", false),
    /** JSON: {@code "agent:<name>"} or {@code "scope:<scope>"} to limits, for tokens obtained with identity tokens. */
    OIDC_POLICY("oidc-policy", "CREDDY_OIDC_POLICY", null, false);

    private final String key;
    private final String environmentVariable;
    private final String defaultValue;
    private final boolean secret;

    Setting(String key, String environmentVariable, String defaultValue, boolean secret) {
        this.key = key;
        this.environmentVariable = environmentVariable;
        this.defaultValue = defaultValue;
        this.secret = secret;
    }

    /** The operator-facing name, e.g. {@code max-ttl}. */
    public String key() {
        return key;
    }

    public String environmentVariable() {
        return environmentVariable;
    }

    /** The value used when no source has one, or {@code null} when the setting is optional. */
    public String defaultValue() {
        return defaultValue;
    }

    /** Secrets are never quoted in messages, nor is what went wrong with them. */
    public boolean isSecret() {
        return secret;
    }

    /** Whether a message may quote the value: not for secrets, nor for URLs that may carry a password. */
    public boolean mayQuoteValue() {
        return !secret && this != REDIS_URL;
    }
}
