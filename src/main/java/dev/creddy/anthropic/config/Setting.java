package dev.creddy.anthropic.config;

import java.util.Optional;

/**
 * Every setting the proxy reads: the one table the code, the launcher's {@code --help} and
 * {@code docs/configuration.md} are made from. Each line gives the name operators use (JNDI
 * {@code creddy/<name>}, context parameter {@code creddy.<name>}), its environment variable, its
 * default, whether it is a secret, the standalone launcher's flag ({@code "--max-ttl DURATION"}, a
 * bare {@code "--open-issuance"} for a switch, {@code null} for none) and a one-line description
 * (Markdown; backticks are dropped in {@code --help}).
 *
 * <p>To add a setting, add a line; {@code SettingsReferenceTest} then says that
 * {@code docs/configuration.md} must be regenerated. Immutable.
 */
public enum Setting {
    ANTHROPIC_API_KEY("anthropic-api-key", "ANTHROPIC_API_KEY", null, true,
            "--api-key KEY", "the real Anthropic API key (prefer the environment variable: a flag shows in `ps`)"),
    UPSTREAM_URL("upstream-url", "CREDDY_UPSTREAM_URL", "https://api.anthropic.com", false,
            "--upstream URL", "where requests go; a path prefix is kept"),
    ISSUER_KEY("issuer-key", "CREDDY_ISSUER_KEY", null, true,
            "--issuer-key KEY", "the bearer key that may issue, list and revoke tokens (prefer the environment variable)"),
    MAX_TTL("max-ttl", "CREDDY_MAX_TTL", "24h", false,
            "--max-ttl DURATION", "the longest token lifetime"),
    DEFAULT_TTL("default-ttl", "CREDDY_DEFAULT_TTL", "1h", false,
            "--default-ttl DURATION", "the lifetime of a token whose request names none (capped at `max-ttl`)"),
    OPEN_ISSUANCE("open-issuance", "CREDDY_OPEN_ISSUANCE", "false", false,
            "--open-issuance", "with no issuer key, let anyone issue tokens (local experiments only)"),
    UPSTREAM_CONNECT_TIMEOUT("upstream-connect-timeout", "CREDDY_UPSTREAM_CONNECT_TIMEOUT", "10s", false,
            null, "how long connecting to the upstream may take"),
    UPSTREAM_HEADER_TIMEOUT("upstream-header-timeout", "CREDDY_UPSTREAM_HEADER_TIMEOUT", "10m", false,
            "--header-timeout DURATION", "how long to wait for the upstream's response headers (a non-streaming call sends them when the answer is complete)"),
    UPSTREAM_IDLE_TIMEOUT("upstream-idle-timeout", "CREDDY_UPSTREAM_IDLE_TIMEOUT", "10m", false,
            "--idle-timeout DURATION", "how long a response may be silent between chunks; there is no overall limit"),
    UPSTREAM_MAX_CONNECTIONS("upstream-max-connections", "CREDDY_UPSTREAM_MAX_CONNECTIONS", "1024", false,
            "--max-connections N", "the upstream connection pool's size: each streaming exchange holds one connection"),
    MAX_REQUEST_BODY("max-request-body", "CREDDY_MAX_REQUEST_BODY", "32MB", false,
            "--max-request-body SIZE", "the largest request body forwarded (KB, MB, GB are binary units)"),
    SHUTDOWN_GRACE("shutdown-grace", "CREDDY_SHUTDOWN_GRACE", "30s", false,
            "--shutdown-grace DURATION", "how long a stop waits for exchanges in flight"),
    METRICS("metrics", "CREDDY_METRICS", "on", false,
            null, "`on` or `off`: keep metrics and show them in JMX and at `/metrics`"),
    METRICS_KEY("metrics-key", "CREDDY_METRICS_KEY", null, true,
            null, "a bearer key that may read `/metrics` only, for the scraper (the issuer key may too)"),
    METRICS_MAX_AGENTS("metrics-max-agents", "CREDDY_METRICS_MAX_AGENTS", "100", false,
            null, "how many distinct agent names get their own `agent` tag; later ones share `other`"),
    /** {@code memory} or {@code redis}; without a value, {@code redis} when a Redis URL is set. */
    TOKEN_STORE("token-store", "CREDDY_TOKEN_STORE", null, false,
            "--token-store KIND", "`memory` or `redis`; without a value `redis` when `redis-url` is set, else `memory`"),
    /** Not a secret as a whole, but its user info may hold a password: never quoted. */
    REDIS_URL("redis-url", "CREDDY_REDIS_URL", null, false,
            "--redis-url URL", "`redis://host:6379/0`, `rediss://` for TLS, `redis-sentinel://h1:26379,h2:26379/0#mymaster` for Sentinel, or Cluster seed nodes with `redis-cluster=on`: shares tokens and usage between instances"),
    REDIS_PASSWORD("redis-password", "CREDDY_REDIS_PASSWORD", null, true,
            null, "the Redis password, if it is not in the URL (this one wins); read once: use `redis-password-file` to rotate it"),
    REDIS_COMMAND_TIMEOUT("redis-command-timeout", "CREDDY_REDIS_COMMAND_TIMEOUT", "2s", false,
            "--redis-command-timeout DURATION", "the longest a request waits for Redis before it is answered 503"),
    REDIS_CACHE_TTL("redis-cache-ttl", "CREDDY_REDIS_CACHE_TTL", "1s", false,
            "--redis-cache-ttl DURATION", "how long an instance trusts a validation it has cached; `0` turns the cache off"),
    REDIS_USERNAME("redis-username", "CREDDY_REDIS_USERNAME", null, false,
            "--redis-username USER", "the Redis ACL user (or `redis://USER@host` with the password given apart)"),
    /** A file holding the Redis password, read again on every new connection (rotation without restart). */
    REDIS_PASSWORD_FILE("redis-password-file", "CREDDY_REDIS_PASSWORD_FILE", null, false,
            "--redis-password-file FILE", "a file holding the Redis password, read again at every reconnect (rotation without a restart)"),
    REDIS_KEY_PREFIX("redis-key-prefix", "CREDDY_REDIS_KEY_PREFIX", "creddy:", false,
            "--redis-key-prefix PREFIX", "what every key the proxy writes starts with"),
    REDIS_CLUSTER("redis-cluster", "CREDDY_REDIS_CLUSTER", "off", false,
            "--redis-cluster on|off", "`redis-url` names Redis Cluster seed nodes"),
    REDIS_TLS_CA("redis-tls-ca", "CREDDY_REDIS_TLS_CA", null, false,
            "--redis-tls-ca FILE", "PEM CA that signs the Redis server's certificate (`rediss://` only; the JVM's default trust stays the upstream's)"),
    REDIS_TLS_CERT("redis-tls-cert", "CREDDY_REDIS_TLS_CERT", null, false,
            "--redis-tls-cert FILE", "client certificate for Redis (PEM, or a `.p12` holding certificate and key)"),
    REDIS_TLS_KEY("redis-tls-key", "CREDDY_REDIS_TLS_KEY", null, false,
            "--redis-tls-key FILE", "the client certificate's PKCS#8 PEM key"),
    REDIS_TLS_KEY_PASSWORD("redis-tls-key-password", "CREDDY_REDIS_TLS_KEY_PASSWORD", null, true,
            null, "the password of `redis-tls-key` or of the `.p12`"),
    REDIS_TLS_VERIFY_HOSTNAME("redis-tls-verify-hostname", "CREDDY_REDIS_TLS_VERIFY_HOSTNAME", "true", false,
            "--redis-tls-verify-hostname true|false", "whether the Redis server's certificate must name the host"),
    REDIS_REVOKE_WAIT_REPLICAS("redis-revoke-wait-replicas", "CREDDY_REDIS_REVOKE_WAIT_REPLICAS", "0", false,
            "--redis-revoke-wait-replicas N", "a revocation answers `204` only once this many replicas have it (Redis `WAIT`), else `503`; `0` does not wait; not with `redis-cluster=on`"),
    REDIS_REVOKE_WAIT_TIMEOUT("redis-revoke-wait-timeout", "CREDDY_REDIS_REVOKE_WAIT_TIMEOUT", "1s", false,
            "--redis-revoke-wait-timeout DURATION", "how long a revocation waits for `redis-revoke-wait-replicas`"),
    MAX_UPLOAD_BODY("max-upload-body", "CREDDY_MAX_UPLOAD_BODY", "500MB", false,
            "--max-upload-body SIZE", "the largest body of `POST /v1/files` and `POST /v1/messages/batches`"),
    PUBLIC_URL("public-url", "CREDDY_PUBLIC_URL", null, false,
            "--public-url URL", "the URL agents reach the proxy at, for the batch `results_url`s it hands out"),
    TRUST_FORWARDED_HEADERS("trust-forwarded-headers", "CREDDY_TRUST_FORWARDED_HEADERS", "false", false,
            "--trust-forwarded-headers", "believe a front proxy's `Forwarded` / `X-Forwarded-*` headers for that URL"),
    /** JSON limits ({@code {"rpm":60,"models":["claude-haiku"]}}) for tokens whose request leaves them out. */
    DEFAULT_LIMITS("default-limits", "CREDDY_DEFAULT_LIMITS", "{}", false,
            "--default-limits JSON", "limits for tokens whose request leaves them out, e.g. `{\"rpm\":60,\"models\":[\"claude-sonnet-5\"]}`; without `endpoints` here, tokens get every endpoint but `batches` and `files`"),
    USAGE_METERING("usage-metering", "CREDDY_USAGE_METERING", "on", false,
            "--usage-metering on|off", "read token usage from responses; off, `tpm` and `max_tokens_total` count nothing"),
    USAGE_RETENTION("usage-retention", "CREDDY_USAGE_RETENTION", "168h", false,
            null, "how long the hourly usage history stays reportable at `/v1/usage` (at least `1h`)"),
    /** Trusted issuers of agent identity tokens, comma or whitespace separated; none switches the feature off. */
    OIDC_ISSUER("oidc-issuer", "CREDDY_OIDC_ISSUER", null, false,
            "--oidc-issuer URLS", "trusted issuers of agent identity tokens, comma or space separated; `https`, or `http` on loopback"),
    OIDC_AUDIENCE("oidc-audience", "CREDDY_OIDC_AUDIENCE", null, false,
            "--oidc-audience AUDIENCE", "the `aud` identity tokens must carry; required with `oidc-issuer`"),
    OIDC_REQUIRED_SCOPE("oidc-required-scope", "CREDDY_OIDC_REQUIRED_SCOPE", "anthropic", false,
            "--oidc-required-scope SCOPE", "the scope an identity token must grant; `<scope>:<anything>` is a narrower grant"),
    OIDC_AGENT_CLAIM("oidc-agent-claim", "CREDDY_OIDC_AGENT_CLAIM", "agent_name", false,
            "--oidc-agent-claim CLAIM", "the claim that names the agent; `sub` when a token lacks it"),
    /** Without a value: {@code scopes} (an array), then {@code scope} (space separated). */
    OIDC_SCOPES_CLAIM("oidc-scopes-claim", "CREDDY_OIDC_SCOPES_CLAIM", null, false,
            "--oidc-scopes-claim CLAIM", "the claim listing the granted scopes; without a value `scopes`, then `scope`"),
    OIDC_CLOCK_SKEW("oidc-clock-skew", "CREDDY_OIDC_CLOCK_SKEW", "60s", false,
            "--oidc-clock-skew DURATION", "how far clocks may disagree for `exp`, `nbf` and `iat` (at most `5m`)"),
    OIDC_JWKS_REFRESH("oidc-jwks-refresh", "CREDDY_OIDC_JWKS_REFRESH", "1h", false,
            "--oidc-jwks-refresh DURATION", "how often the issuers' keys are fetched again (at least `1m`)"),
    OIDC_DIRECT_USE("oidc-direct-use", "CREDDY_OIDC_DIRECT_USE", "false", false,
            "--oidc-direct-use", "accept identity tokens in place of `crd_` tokens on the forwarding path"),
    /** {@code on}: Claude Code's gateway sign-in (device authorization) and the approval page at {@code /device}. */
    DEVICE_SIGN_IN("device-sign-in", "CREDDY_DEVICE_SIGN_IN", "off", false,
            "--device-sign-in on|off", "serve Claude Code's gateway sign-in (OAuth device authorization) and its approval page at `/device`"),
    DEVICE_USER_ROLE("device-user-role", "CREDDY_DEVICE_USER_ROLE", "creddy-user", false,
            "--device-user-role ROLE", "the container role whose users may approve a sign-in on `/device`"),
    DEVICE_ACCESS_TTL("device-access-ttl", "CREDDY_DEVICE_ACCESS_TTL", "1h", false,
            "--device-access-ttl DURATION", "the lifetime of a signed-in developer's access token (at most `max-ttl`)"),
    DEVICE_SESSION_MAX("device-session-max", "CREDDY_DEVICE_SESSION_MAX", "720h", false,
            "--device-session-max DURATION", "how long a sign-in lasts, refreshes included"),
    /** The organisation's OpenID Connect provider for the approval page's sign-in; unset, the container's login. */
    DEVICE_OIDC_ISSUER("device-oidc-issuer", "CREDDY_DEVICE_OIDC_ISSUER", null, false,
            "--device-oidc-issuer URL", "sign people in at `/device` with this OpenID Connect provider (authorization code flow with PKCE) instead of the container's login"),
    DEVICE_OIDC_CLIENT_ID("device-oidc-client-id", "CREDDY_DEVICE_OIDC_CLIENT_ID", null, false,
            "--device-oidc-client-id ID", "the proxy's client id at `device-oidc-issuer`; its redirect URI is `<base>/device/callback`"),
    DEVICE_OIDC_CLIENT_SECRET("device-oidc-client-secret", "CREDDY_DEVICE_OIDC_CLIENT_SECRET", null, true,
            null, "the client secret at `device-oidc-issuer` (or `device-oidc-client-secret-file`)"),
    /** A file holding the client secret, read again at every sign-in (rotation without restart). */
    DEVICE_OIDC_CLIENT_SECRET_FILE("device-oidc-client-secret-file", "CREDDY_DEVICE_OIDC_CLIENT_SECRET_FILE", null, false,
            "--device-oidc-client-secret-file FILE", "a file holding the client secret, read again at every sign-in (rotation without a restart)"),
    DEVICE_OIDC_SCOPES("device-oidc-scopes", "CREDDY_DEVICE_OIDC_SCOPES", "openid profile", false,
            "--device-oidc-scopes SCOPES", "the scopes the approval page asks the provider for (`openid` is required); add the one that releases groups if it needs one"),
    DEVICE_OIDC_NAME_CLAIM("device-oidc-name-claim", "CREDDY_DEVICE_OIDC_NAME_CLAIM", "preferred_username", false,
            "--device-oidc-name-claim CLAIM", "the ID token claim that names the person (their tokens' agent name); `sub` when it is absent"),
    DEVICE_OIDC_GROUPS_CLAIM("device-oidc-groups-claim", "CREDDY_DEVICE_OIDC_GROUPS_CLAIM", "groups", false,
            "--device-oidc-groups-claim CLAIM", "the ID token claim listing the person's groups, for `oidc-policy`'s `group:<name>` rules"),
    /** A Claude Code settings file that signed-in Claude Codes fetch as their managed settings. */
    DEVICE_MANAGED_SETTINGS("device-managed-settings", "CREDDY_DEVICE_MANAGED_SETTINGS", null, false,
            "--device-managed-settings FILE", "a Claude Code settings file (a JSON object) served to signed-in Claude Codes at `/managed/settings` as their managed settings; read again when it changes"),
    /** JSON: issuer to {@code {"audience": "…", "required_scope": "…" or false}}, for issuers that differ from the defaults. */
    OIDC_ISSUER_OPTIONS("oidc-issuer-options", "CREDDY_OIDC_ISSUER_OPTIONS", null, false,
            "--oidc-issuer-options JSON", "per-issuer `audience` and `required_scope` (or `false` for an issuer whose tokens claim rules admit), e.g. `{\"https://token.actions.githubusercontent.com\":{\"required_scope\":false}}`"),
    /** JSON: {@code "agent:<name>"} or {@code "scope:<scope>"} to limits, for tokens obtained with identity tokens. */
    OIDC_POLICY("oidc-policy", "CREDDY_OIDC_POLICY", null, false,
            "--oidc-policy JSON", "JSON: limits per agent (`\"agent:<name>\"`) or scope (`\"scope:<scope>\"`) for tokens obtained with identity tokens"),
    /** {@code on} or {@code off}: the operator console at {@code <context>/console/}. */
    CONSOLE("console", "CREDDY_CONSOLE", "on", false,
            "--console on|off", "the operator console at `<context>/console/`; `off` removes it (404)"),
    CONSOLE_SESSION_TTL("console-session-ttl", "CREDDY_CONSOLE_SESSION_TTL", "8h", false,
            "--console-session-ttl DURATION", "how long a console sign-in lasts"),
    /** The longest a client may take to send a request body, from the request's arrival (408 after). */
    REQUEST_BODY_TIMEOUT("request-body-timeout", "CREDDY_REQUEST_BODY_TIMEOUT", "5m", false,
            "--request-body-timeout DURATION", "the longest a request body may take to arrive; `408` after"),
    /** How long an exchange waits for a pooled upstream connection (503 with retry-after after); without a value, upstream-connect-timeout. */
    UPSTREAM_POOL_WAIT("upstream-pool-wait", "CREDDY_UPSTREAM_POOL_WAIT", null, false,
            "--pool-wait DURATION", "how long a request waits for a free upstream connection (`503` with `retry-after` after); without a value `upstream-connect-timeout`"),
    /** Upstream connections one token may hold at once; without a value, a quarter of upstream-max-connections, at least 2. */
    UPSTREAM_CONNECTIONS_PER_TOKEN("upstream-connections-per-token", "CREDDY_UPSTREAM_CONNECTIONS_PER_TOKEN", null, false,
            "--connections-per-token N", "upstream connections one token may hold at once (`429` above); without a value a quarter of `upstream-max-connections`, at least 2"),
    PRICE_TABLE("price-table", "CREDDY_PRICE_TABLE", null, false,
            "--price-table FILE|JSON", "a price table (a file path, or the JSON itself) laid over the built-in one, row by row (`\"extends\": false` replaces it); read at start-up, so a changed file takes a restart"),
    AGENT_BUDGETS("agent-budgets", "CREDDY_AGENT_BUDGETS", null, false,
            "--agent-budgets JSON", "dollar budgets per agent across all its tokens and instances over a rolling 24 hours, e.g. `{\"researcher\":{\"usd_per_day\":20}}`"),
    /** JSON: agent name to requests in flight at once, across all its tokens and instances. */
    AGENT_CONCURRENCY("agent-concurrency", "CREDDY_AGENT_CONCURRENCY", null, false,
            "--agent-concurrency JSON", "JSON: requests each agent may have in flight at once across all its tokens and instances, streams included, e.g. `{\"researcher\":4}` (`429` above)"),
    /** How long a concurrency slot stays counted in Redis without its instance renewing it. */
    CONCURRENCY_LEASE("concurrency-lease", "CREDDY_CONCURRENCY_LEASE", "30s", false,
            "--concurrency-lease DURATION", "how long a `max_concurrent` slot stays counted in Redis without its instance renewing it (every third of it): an instance that dies gives its slots back within this"),
    /** {@code lenient} or {@code strict}: whether a running stream that takes its token over its budget is ended. */
    BUDGET_ENFORCEMENT("budget-enforcement", "CREDDY_BUDGET_ENFORCEMENT", "lenient", false,
            "--budget-enforcement lenient|strict", "`strict` ends a running response (SSE `error` event) once it takes its token over its budget; `lenient` lets it finish");


    private final String key;
    private final String environmentVariable;
    private final String defaultValue;
    private final boolean secret;
    private final String flag;
    private final String flagValue;
    private final String description;

    Setting(String key, String environmentVariable, String defaultValue, boolean secret, String flag, String description) {
        this.key = key;
        this.environmentVariable = environmentVariable;
        this.defaultValue = defaultValue;
        this.secret = secret;
        if (flag == null) {
            this.flag = null;
            this.flagValue = null;
        } else {
            String[] parts = flag.split(" ", 2);
            this.flag = parts[0];
            this.flagValue = parts.length == 2 ? parts[1] : null;
        }
        this.description = description;
    }

    /** A line without a flag or a description yet: {@code SettingsReferenceTest} asks for the description. */
    Setting(String key, String environmentVariable, String defaultValue, boolean secret) {
        this(key, environmentVariable, defaultValue, secret, null, null);
    }

    /** The operator-facing name, e.g. {@code max-ttl}. */
    public String key() {
        return key;
    }

    public String environmentVariable() {
        return environmentVariable;
    }

    /** The JNDI name, looked up under {@code java:comp/env/}, {@code java:global/} and as it is. */
    public String jndiName() {
        return "creddy/" + key;
    }

    /** The servlet context parameter, e.g. {@code creddy.max-ttl}. */
    public String contextParameter() {
        return "creddy." + key;
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

    /** The standalone launcher's flag, e.g. {@code --max-ttl}, or {@code null} when it has none. */
    public String flag() {
        return flag;
    }

    /** What the flag takes, e.g. {@code DURATION}; {@code null} for a switch, which means {@code true} alone. */
    public String flagValue() {
        return flagValue;
    }

    /** One line on what it does, in Markdown; {@code null} while nobody has written it. */
    public String description() {
        return description;
    }

    /** The setting whose launcher flag is {@code flag} (without dashes), if any. */
    public static Optional<Setting> forFlag(String flag) {
        for (Setting setting : values()) {
            if (setting.flag != null && setting.flag.equals("--" + flag)) {
                return Optional.of(setting);
            }
        }
        return Optional.empty();
    }
}
