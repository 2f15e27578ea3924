package dev.creddy.anthropic.config;

import dev.creddy.anthropic.token.IdentityPolicy;
import dev.creddy.anthropic.token.TokenLimits;
import dev.creddy.anthropic.usage.AgentBudgets;
import dev.creddy.anthropic.usage.PriceTable;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * Builds {@link Settings} from a chain of {@link SettingsSource}s: the first source with a non-blank
 * value wins, then the setting's default. Every problem is collected, so an operator sees all of them
 * at once, each naming the setting and its source; secret values are never quoted.
 *
 * <p>A value that still holds an unresolved placeholder ({@link Placeholders}) is a problem for every
 * setting, and a secret ({@link Setting#isSecret()}) that a source sets to nothing or whitespace is one
 * too: both fail the deployment. A secret that no source mentions at all stays optional (a missing real
 * key leaves the proxy unconfigured, which {@code /health} explains).
 *
 * <p>Immutable and thread-safe.
 */
public final class SettingsLoader {

    private final List<SettingsSource> sources;

    /** @param sources in order of precedence, the first wins */
    public SettingsLoader(List<SettingsSource> sources) {
        this.sources = List.copyOf(sources);
    }

    /** @throws InvalidSettingsException naming every setting that is wrong */
    public Settings load() {
        Resolution resolution = new Resolution();
        Optional<Secret> apiKey = resolution.optional(Setting.ANTHROPIC_API_KEY, Secret::of);
        URI upstreamUrl = resolution.required(Setting.UPSTREAM_URL, SettingsLoader::baseUrl);
        Optional<Secret> issuerKey = resolution.optional(Setting.ISSUER_KEY, Secret::of);
        Duration maxTtl = resolution.required(Setting.MAX_TTL, SettingsLoader::positiveDuration);
        Duration defaultTtl = resolution.required(Setting.DEFAULT_TTL, SettingsLoader::positiveDuration);
        Boolean openIssuance = resolution.required(Setting.OPEN_ISSUANCE, SettingsLoader::bool);
        Duration connectTimeout = resolution.required(Setting.UPSTREAM_CONNECT_TIMEOUT, SettingsLoader::positiveDuration);
        Duration headerTimeout = resolution.required(Setting.UPSTREAM_HEADER_TIMEOUT, SettingsLoader::positiveDuration);
        Duration idleTimeout = resolution.required(Setting.UPSTREAM_IDLE_TIMEOUT, SettingsLoader::positiveDuration);
        Integer maxConnections = resolution.required(Setting.UPSTREAM_MAX_CONNECTIONS, SettingsLoader::positiveInt);
        Long maxRequestBody = resolution.required(Setting.MAX_REQUEST_BODY, SettingsLoader::positiveSize);
        Duration shutdownGrace = resolution.required(Setting.SHUTDOWN_GRACE, SettingsLoader::nonNegativeDuration);
        Boolean metrics = resolution.required(Setting.METRICS, SettingsLoader::onOff);
        Optional<Secret> metricsKey = resolution.optional(Setting.METRICS_KEY, Secret::of);
        Integer metricsMaxAgents = resolution.required(Setting.METRICS_MAX_AGENTS, SettingsLoader::nonNegativeInt);
        Optional<TokenStoreKind> storeKind = resolution.optional(Setting.TOKEN_STORE, TokenStoreKind::parse);
        Optional<URI> redisUrl = resolution.optional(Setting.REDIS_URL, RedisSettings::parseUrl);
        Optional<Secret> redisPassword = resolution.optional(Setting.REDIS_PASSWORD, Secret::of);
        Duration redisTimeout = resolution.required(Setting.REDIS_COMMAND_TIMEOUT, SettingsLoader::positiveDuration);
        Duration redisCacheTtl = resolution.required(Setting.REDIS_CACHE_TTL, SettingsLoader::nonNegativeDuration);
        Optional<String> redisUsername = resolution.optional(Setting.REDIS_USERNAME, SettingsLoader::redisUsername);
        Optional<Path> redisPasswordFile = resolution.optional(Setting.REDIS_PASSWORD_FILE, SettingsLoader::readableFile);
        String redisKeyPrefix = resolution.required(Setting.REDIS_KEY_PREFIX, SettingsLoader::redisKeyPrefix);
        Boolean redisCluster = resolution.required(Setting.REDIS_CLUSTER, SettingsLoader::onOff);
        Optional<Path> redisTlsCa = resolution.optional(Setting.REDIS_TLS_CA, SettingsLoader::readableFile);
        Optional<Path> redisTlsCert = resolution.optional(Setting.REDIS_TLS_CERT, SettingsLoader::readableFile);
        Optional<Path> redisTlsKey = resolution.optional(Setting.REDIS_TLS_KEY, SettingsLoader::readableFile);
        Optional<Secret> redisTlsKeyPassword = resolution.optional(Setting.REDIS_TLS_KEY_PASSWORD, Secret::of);
        Boolean redisTlsVerifyHostname = resolution.required(Setting.REDIS_TLS_VERIFY_HOSTNAME, SettingsLoader::bool);
        Integer redisRevokeWaitReplicas = resolution.required(Setting.REDIS_REVOKE_WAIT_REPLICAS, SettingsLoader::nonNegativeInt);
        Duration redisRevokeWaitTimeout = resolution.required(Setting.REDIS_REVOKE_WAIT_TIMEOUT, SettingsLoader::positiveDuration);
        Long maxUploadBody = resolution.required(Setting.MAX_UPLOAD_BODY, SettingsLoader::positiveSize);
        Optional<URI> publicUrl = resolution.optional(Setting.PUBLIC_URL, SettingsLoader::baseUrl);
        Boolean trustForwardedHeaders = resolution.required(Setting.TRUST_FORWARDED_HEADERS, SettingsLoader::bool);
        TokenLimits defaultLimits = resolution.required(Setting.DEFAULT_LIMITS, TokenLimits::defaultsFromJson);
        Boolean usageMetering = resolution.required(Setting.USAGE_METERING, SettingsLoader::onOff);
        Duration usageRetention = resolution.required(Setting.USAGE_RETENTION, SettingsLoader::atLeastAnHour);
        Optional<OidcSettings> oidc = oidc(resolution);
        Boolean console = resolution.required(Setting.CONSOLE, SettingsLoader::onOff);
        Duration consoleSessionTtl = resolution.required(Setting.CONSOLE_SESSION_TTL, SettingsLoader::positiveDuration);
        Duration requestBodyTimeout = resolution.required(Setting.REQUEST_BODY_TIMEOUT, SettingsLoader::positiveDuration);
        Optional<Duration> upstreamPoolWait = resolution.optional(Setting.UPSTREAM_POOL_WAIT, SettingsLoader::positiveDuration);
        Optional<Integer> connectionsPerToken = resolution.optional(Setting.UPSTREAM_CONNECTIONS_PER_TOKEN,
                SettingsLoader::positiveInt);
        Optional<DeviceSignInSettings> deviceSignIn = deviceSignIn(resolution, maxTtl);
        Optional<PriceTable> priceTable = resolution.optional(Setting.PRICE_TABLE, SettingsLoader::priceTable);
        Optional<Map<String, Long>> agentBudgets = resolution.optional(Setting.AGENT_BUDGETS, AgentBudgets::parse);
        Optional<Map<String, Long>> agentConcurrency = resolution.optional(Setting.AGENT_CONCURRENCY,
                EnforcementSettings::parseAgentConcurrency);
        Duration concurrencyLease = resolution.required(Setting.CONCURRENCY_LEASE, EnforcementSettings::parseLease);
        Boolean strictBudgets = resolution.required(Setting.BUDGET_ENFORCEMENT, EnforcementSettings::parseStrict);

        if (maxTtl != null && defaultTtl != null && defaultTtl.compareTo(maxTtl) > 0) {
            if (resolution.isExplicit(Setting.DEFAULT_TTL)) {
                resolution.problems.add("default-ttl (" + GoDuration.format(defaultTtl) + ", from "
                        + resolution.origin(Setting.DEFAULT_TTL) + ") is longer than max-ttl (" + GoDuration.format(maxTtl) + ")");
            } else {
                defaultTtl = maxTtl;
            }
        }
        TokenStoreKind tokenStore = tokenStore(resolution, storeKind);
        RedisTls redisTls = redisTls(resolution, redisTlsCa, redisTlsCert, redisTlsKey, redisTlsKeyPassword,
                redisTlsVerifyHostname);
        RevokeWait revokeWait = revokeWait(resolution, redisRevokeWaitReplicas, redisRevokeWaitTimeout, redisCluster);
        if (!resolution.problems.isEmpty()) {
            throw new InvalidSettingsException(resolution.problems);
        }
        Optional<RedisSettings> redis = tokenStore == TokenStoreKind.REDIS
                ? Optional.of(new RedisSettings(redisUrl.orElseThrow(), redisPassword, redisTimeout, redisCacheTtl, redisUsername,
                        redisPasswordFile, redisKeyPrefix, redisCluster, redisTls, revokeWait))
                : Optional.empty();
        return new Settings(apiKey, upstreamUrl, issuerKey, maxTtl, defaultTtl, openIssuance,
                connectTimeout, headerTimeout, idleTimeout, maxConnections, maxRequestBody, shutdownGrace,
                metrics, metricsKey, metricsMaxAgents, tokenStore, redis, maxUploadBody, publicUrl, trustForwardedHeaders,
                defaultLimits, usageMetering, usageRetention, oidc,
                new ConsoleSettings(console, consoleSessionTtl),
                requestBodyTimeout, upstreamPoolWait.orElse(connectTimeout),
                connectionsPerToken.orElse(Math.max(2, maxConnections / 4)), deviceSignIn,
                priceTable.orElseGet(PriceTable::builtIn), agentBudgets.orElse(Map.of()),
                new EnforcementSettings(agentConcurrency.orElse(Map.of()), concurrencyLease, strictBudgets));
    }

    /** The gateway sign-in, when it is on; an access token may live no longer than {@code max-ttl}. */
    private static Optional<DeviceSignInSettings> deviceSignIn(Resolution resolution, Duration maxTtl) {
        Boolean on = resolution.required(Setting.DEVICE_SIGN_IN, SettingsLoader::onOff);
        String role = resolution.required(Setting.DEVICE_USER_ROLE, SettingsLoader::roleName);
        Duration accessTtl = resolution.required(Setting.DEVICE_ACCESS_TTL, SettingsLoader::positiveDuration);
        Duration sessionMax = resolution.required(Setting.DEVICE_SESSION_MAX, SettingsLoader::positiveDuration);
        Optional<DeviceOidcSettings> oidc = deviceOidc(resolution);
        Optional<Path> managedSettings = resolution.optional(Setting.DEVICE_MANAGED_SETTINGS, SettingsLoader::jsonObjectFile);
        if (on == null || !on || role == null || accessTtl == null || sessionMax == null) {
            return Optional.empty();
        }
        if (maxTtl != null && accessTtl.compareTo(maxTtl) > 0) {
            resolution.problems.add("device-access-ttl (" + GoDuration.format(accessTtl) + ", from "
                    + resolution.origin(Setting.DEVICE_ACCESS_TTL) + ") is longer than max-ttl (" + GoDuration.format(maxTtl) + ")");
        }
        if (sessionMax.compareTo(accessTtl) < 0) {
            resolution.problems.add("device-session-max (" + GoDuration.format(sessionMax) + ", from "
                    + resolution.origin(Setting.DEVICE_SESSION_MAX) + ") is shorter than device-access-ttl");
        }
        IdentityPolicy policy = IdentityPolicy.NONE;
        try {
            policy = resolution.rawValue(Setting.OIDC_POLICY).map(IdentityPolicy::parse).orElse(IdentityPolicy.NONE);
        } catch (IllegalArgumentException e) {
            // Already reported, naming oidc-policy, by the identity token settings.
        }
        return Optional.of(new DeviceSignInSettings(role, accessTtl, sessionMax, policy, oidc, managedSettings));
    }

    /**
     * The approval page's OpenID Connect provider, when {@code device-oidc-issuer} is set: it needs a
     * client id and exactly one of the client secret and its file.
     */
    private static Optional<DeviceOidcSettings> deviceOidc(Resolution resolution) {
        Optional<URI> issuer = resolution.optional(Setting.DEVICE_OIDC_ISSUER, OidcSettings::fetchableUrl);
        Optional<String> clientId = resolution.optional(Setting.DEVICE_OIDC_CLIENT_ID, SettingsLoader::clientId);
        Optional<Secret> secret = resolution.optional(Setting.DEVICE_OIDC_CLIENT_SECRET, Secret::of);
        Optional<Path> secretFile = resolution.optional(Setting.DEVICE_OIDC_CLIENT_SECRET_FILE, SettingsLoader::readableFile);
        List<String> scopes = resolution.required(Setting.DEVICE_OIDC_SCOPES, SettingsLoader::openIdScopes);
        String nameClaim = resolution.required(Setting.DEVICE_OIDC_NAME_CLAIM, SettingsLoader::claimName);
        String groupsClaim = resolution.required(Setting.DEVICE_OIDC_GROUPS_CLAIM, SettingsLoader::claimName);
        if (!resolution.isExplicit(Setting.DEVICE_OIDC_ISSUER)) {
            // Only values that are valid in themselves: a broken one is reported already.
            Map<Setting, Boolean> given = Map.of(Setting.DEVICE_OIDC_CLIENT_ID, clientId.isPresent(),
                    Setting.DEVICE_OIDC_CLIENT_SECRET, secret.isPresent(), Setting.DEVICE_OIDC_CLIENT_SECRET_FILE,
                    secretFile.isPresent());
            for (Setting dependent : List.of(Setting.DEVICE_OIDC_CLIENT_ID, Setting.DEVICE_OIDC_CLIENT_SECRET,
                    Setting.DEVICE_OIDC_CLIENT_SECRET_FILE)) {
                if (given.get(dependent)) {
                    resolution.problems.add(dependent.key() + " (from " + resolution.origin(dependent)
                            + ") is set, but device-oidc-issuer is not: set it to the provider's issuer URL, or remove "
                            + dependent.key());
                }
            }
            return Optional.empty();
        }
        if (issuer.isEmpty()) {
            return Optional.empty();
        }
        if (clientId.isEmpty() && !resolution.isExplicit(Setting.DEVICE_OIDC_CLIENT_ID)) {
            resolution.problems.add("device-oidc-issuer (from " + resolution.origin(Setting.DEVICE_OIDC_ISSUER)
                    + ") is set, but device-oidc-client-id is not: set it to the proxy's client id at the provider");
        }
        boolean secretGiven = resolution.isExplicit(Setting.DEVICE_OIDC_CLIENT_SECRET);
        boolean fileGiven = resolution.isExplicit(Setting.DEVICE_OIDC_CLIENT_SECRET_FILE);
        if (!secretGiven && !fileGiven) {
            resolution.problems.add("device-oidc-issuer (from " + resolution.origin(Setting.DEVICE_OIDC_ISSUER)
                    + ") is set, but device-oidc-client-secret is not: set it (JNDI or environment), or "
                    + "device-oidc-client-secret-file");
        } else if (secretGiven && fileGiven) {
            resolution.problems.add("device-oidc-client-secret (from " + resolution.origin(Setting.DEVICE_OIDC_CLIENT_SECRET)
                    + ") and device-oidc-client-secret-file (from " + resolution.origin(Setting.DEVICE_OIDC_CLIENT_SECRET_FILE)
                    + ") are both set: remove one of them");
        }
        if (clientId.isEmpty() || secret.isPresent() == secretFile.isPresent() || scopes == null || nameClaim == null
                || groupsClaim == null) {
            return Optional.empty();
        }
        return Optional.of(new DeviceOidcSettings(issuer.get(), clientId.get(), secret, secretFile, scopes, nameClaim,
                groupsClaim));
    }

    /** A readable file holding one JSON object (a Claude Code settings file). */
    private static Path jsonObjectFile(String raw) {
        Path path = readableFile(raw);
        try (jakarta.json.JsonReader reader = jakarta.json.Json.createReader(Files.newBufferedReader(path))) {
            reader.readObject();
        } catch (java.io.IOException | RuntimeException e) {
            throw new IllegalArgumentException("must be a file holding one JSON object (Claude Code settings, such as "
                    + "{\"permissions\":{\"deny\":[\"WebFetch\"]}})");
        }
        return path;
    }

    /** An OAuth client id (RFC 6749 §2.2: printable ASCII, here without spaces). */
    private static String clientId(String raw) {
        if (!raw.matches("[\\x21-\\x7e]{1,255}")) {
            throw new IllegalArgumentException("must be a client id: printable characters without spaces");
        }
        return raw;
    }

    /** Space-separated scopes (RFC 6749 §3.3), {@code openid} among them: without it there is no ID token. */
    private static List<String> openIdScopes(String raw) {
        List<String> scopes = new ArrayList<>();
        for (String part : raw.split("[,\\s]+")) {
            if (!part.isEmpty()) {
                scopes.add(scope(part));
            }
        }
        if (!scopes.contains("openid")) {
            throw new IllegalArgumentException("must include openid (e.g. \"openid profile\")");
        }
        return scopes;
    }

    private static String roleName(String raw) {
        if (!raw.matches("[A-Za-z0-9_.:-]{1,100}")) {
            throw new IllegalArgumentException("must be a role name such as creddy-user");
        }
        return raw;
    }

    /**
     * Where each setting that some source provides comes from, e.g. {@code anthropic-api-key -> JNDI
     * java:global/creddy/anthropic-api-key}, so an operator can tell which of several provisioning
     * mechanisms won. Never the values. Settings left at their defaults are absent.
     */
    public Map<Setting, String> origins() {
        Resolution resolution = new Resolution();
        Map<Setting, String> origins = new EnumMap<>(Setting.class);
        for (Setting setting : Setting.values()) {
            if (resolution.isExplicit(setting)) {
                origins.put(setting, resolution.origin(setting));
            }
        }
        return Collections.unmodifiableMap(origins);
    }

    /** A Redis ACL user name: no spaces, no controls (it goes into AUTH). */
    private static String redisUsername(String raw) {
        if (!raw.matches("[\\x21-\\x7e]{1,128}")) {
            throw new IllegalArgumentException("must be an ACL user name: printable characters without spaces");
        }
        return raw;
    }

    /** A key prefix: short, printable, no hash-tag braces (they would change which Cluster slot keys land in). */
    private static String redisKeyPrefix(String raw) {
        if (!raw.matches("[A-Za-z0-9:._-]{1,64}")) {
            throw new IllegalArgumentException("must be 1 to 64 of A-Z a-z 0-9 : . _ - (e.g. creddy:staging:)");
        }
        return raw;
    }

    /** A file the proxy can read now (a certificate, a key, a password file); its content is never quoted. */
    private static Path readableFile(String raw) {
        Path path = Path.of(raw);
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw new IllegalArgumentException("is not a readable file");
        }
        return path;
    }

    /** TLS for Redis: a certificate in PEM needs its key; a PKCS#12 file holds both. */
    private static RedisTls redisTls(Resolution resolution, Optional<Path> ca, Optional<Path> cert, Optional<Path> key,
            Optional<Secret> keyPassword, Boolean verifyHostname) {
        RedisTls tls = new RedisTls(ca, cert, key, keyPassword, verifyHostname == null || verifyHostname);
        if (cert.isPresent() && !tls.pkcs12() && key.isEmpty()) {
            resolution.problems.add("redis-tls-cert (from " + resolution.origin(Setting.REDIS_TLS_CERT)
                    + ") is a PEM certificate, but redis-tls-key is not set: set it to the PEM private key, or give a .p12 file");
        }
        if (key.isPresent() && cert.isEmpty()) {
            resolution.problems.add("redis-tls-key (from " + resolution.origin(Setting.REDIS_TLS_KEY)
                    + ") is set, but redis-tls-cert is not: set both");
        }
        return tls;
    }

    /**
     * Waiting for replicas after a revocation: {@code WAIT} counts the replicas of the node the
     * revocation was written to, which in a Cluster depends on the token's slot, so it is refused there.
     */
    private static RevokeWait revokeWait(Resolution resolution, Integer replicas, Duration timeout, Boolean cluster) {
        if (replicas == null || timeout == null) {
            return RevokeWait.OFF;
        }
        if (replicas > 0 && Boolean.TRUE.equals(cluster)) {
            resolution.problems.add("redis-revoke-wait-replicas (from " + resolution.origin(Setting.REDIS_REVOKE_WAIT_REPLICAS)
                    + ") is " + replicas + ", but redis-cluster is on: waiting for replicas is not supported with Redis Cluster; "
                    + "set it to 0");
            return RevokeWait.OFF;
        }
        return new RevokeWait(replicas, timeout);
    }

    /**
     * The Redis store when it is asked for or a Redis URL is set, else memory. A Redis URL next to an
     * explicit memory store is refused: one of the two is a mistake, and guessing wrong would leave
     * every instance with tokens of its own.
     */
    private static TokenStoreKind tokenStore(Resolution resolution, Optional<TokenStoreKind> explicit) {
        boolean urlSet = resolution.isExplicit(Setting.REDIS_URL);
        TokenStoreKind kind = explicit.orElse(urlSet ? TokenStoreKind.REDIS : TokenStoreKind.MEMORY);
        if (kind == TokenStoreKind.REDIS && !urlSet) {
            resolution.problems.add("token-store (from " + resolution.origin(Setting.TOKEN_STORE)
                    + ") is redis, but redis-url is not set: set it to e.g. redis://host:6379/0");
        }
        if (kind == TokenStoreKind.MEMORY && urlSet && explicit.isPresent()) {
            resolution.problems.add("redis-url (from " + resolution.origin(Setting.REDIS_URL) + ") is set, but token-store (from "
                    + resolution.origin(Setting.TOKEN_STORE) + ") is memory: remove one of them");
        }
        return kind;
    }

    /**
     * Agent identity tokens, when an issuer is trusted. Without an audience any token the issuer mints
     * for any of its clients would pass, so an issuer without one is refused, naming both settings.
     */
    private static Optional<OidcSettings> oidc(Resolution resolution) {
        Optional<List<URI>> issuers = resolution.optional(Setting.OIDC_ISSUER, OidcSettings::parseIssuers);
        Optional<String> audience = resolution.optional(Setting.OIDC_AUDIENCE, SettingsLoader::claimValue);
        String requiredScope = resolution.required(Setting.OIDC_REQUIRED_SCOPE, SettingsLoader::scope);
        String agentClaim = resolution.required(Setting.OIDC_AGENT_CLAIM, SettingsLoader::claimName);
        Optional<String> scopesClaim = resolution.optional(Setting.OIDC_SCOPES_CLAIM, SettingsLoader::claimName);
        Duration clockSkew = resolution.required(Setting.OIDC_CLOCK_SKEW, SettingsLoader::clockSkew);
        Duration jwksRefresh = resolution.required(Setting.OIDC_JWKS_REFRESH, SettingsLoader::jwksRefresh);
        Boolean directUse = resolution.required(Setting.OIDC_DIRECT_USE, SettingsLoader::bool);
        Optional<IdentityPolicy> policy = resolution.optional(Setting.OIDC_POLICY, IdentityPolicy::parse);
        Optional<Map<String, OidcSettings.IssuerOptions>> issuerOptions = resolution.optional(Setting.OIDC_ISSUER_OPTIONS,
                OidcSettings::parseIssuerOptions);
        if (issuers.isPresent()) {
            workloadIssuers(resolution, issuers.get(), policy.orElse(IdentityPolicy.NONE), issuerOptions.orElse(Map.of()));
        }
        if (issuers.isEmpty()) {
            return Optional.empty();
        }
        if (audience.isEmpty()) {
            if (!resolution.isExplicit(Setting.OIDC_AUDIENCE)) {
                resolution.problems.add("oidc-issuer (from " + resolution.origin(Setting.OIDC_ISSUER)
                        + ") is set, but oidc-audience is not: set it to the audience your issuer puts in the tokens "
                        + "it mints for this proxy");
            }
            return Optional.empty();
        }
        if (requiredScope == null || agentClaim == null || clockSkew == null || jwksRefresh == null || directUse == null
                || (policy.isEmpty() && resolution.isExplicit(Setting.OIDC_POLICY))
                || (issuerOptions.isEmpty() && resolution.isExplicit(Setting.OIDC_ISSUER_OPTIONS))) {
            return Optional.empty();
        }
        return Optional.of(new OidcSettings(issuers.get(), audience.get(), requiredScope, agentClaim, scopesClaim,
                clockSkew, jwksRefresh, directUse, policy.orElse(IdentityPolicy.NONE), issuerOptions.orElse(Map.of())));
    }

    /**
     * Claim rules and issuer options name trusted issuers only, and an issuer whose tokens need no scope
     * has claim rules: without one, every token it mints for the audience would pass (GitHub Actions
     * mints one for any repository in the world that asks).
     */
    private static void workloadIssuers(Resolution resolution, List<URI> issuers, IdentityPolicy policy,
            Map<String, OidcSettings.IssuerOptions> options) {
        List<String> trusted = issuers.stream().map(URI::toString).toList();
        for (String issuer : policy.claimRuleIssuers()) {
            if (!trusted.contains(issuer)) {
                resolution.problems.add("oidc-policy (from " + resolution.origin(Setting.OIDC_POLICY) + ") has a claim rule "
                        + "for " + issuer + ", which oidc-issuer does not list");
            }
        }
        options.forEach((issuer, option) -> {
            if (!trusted.contains(issuer)) {
                resolution.problems.add("oidc-issuer-options (from " + resolution.origin(Setting.OIDC_ISSUER_OPTIONS)
                        + ") names " + issuer + ", which oidc-issuer does not list");
            } else if (option.scopeOff() && !policy.hasClaimRulesFor(issuer)) {
                resolution.problems.add("oidc-issuer-options (from " + resolution.origin(Setting.OIDC_ISSUER_OPTIONS)
                        + ") turns the required scope off for " + issuer + ", but oidc-policy has no claim rule for it: "
                        + "add one ({\"match\":{\"iss\":\"" + issuer + "\",…}}) so that only the workloads it names are admitted");
            }
        });
    }

    private final class Resolution {
        private final List<String> problems = new ArrayList<>();

        <T> T required(Setting setting, Function<String, T> parser) {
            return optional(setting, parser).orElse(null);
        }

        <T> Optional<T> optional(Setting setting, Function<String, T> parser) {
            if (setting.isSecret() && isSetButBlank(setting)) {
                // An empty secret is a provisioning step that went wrong (an empty variable in an env file,
                // an empty JNDI binding), not an operator who chose to leave it out: fail loudly.
                problems.add(setting.key() + " (from " + blankOrigin(setting) + ") is set but empty: give it the "
                        + "secret's value, or remove the setting");
                return Optional.empty();
            }
            Optional<String> raw = rawValue(setting);
            if (raw.isEmpty()) {
                return Optional.empty();
            }
            if (Placeholders.isUnresolved(raw.get()) && !carriesClaimTemplates(setting, raw.get())) {
                String shown = setting.mayQuoteValue() ? "\"" + raw.get() + "\"" : "the configured value";
                problems.add(setting.key() + " (from " + origin(setting) + "): " + shown + " is an unresolved placeholder "
                        + "(${...}, $\\{...} or #{...}): the server did not replace it; set the variable it names in the "
                        + "server's environment (on Tomcat also enable EnvironmentPropertySource in catalina.properties)");
                return Optional.empty();
            }
            try {
                return Optional.of(parser.apply(raw.get().strip()));
            } catch (IllegalArgumentException e) {
                String shown = setting.mayQuoteValue() ? "\"" + raw.get() + "\"" : "the configured value";
                problems.add(setting.key() + " (from " + origin(setting) + "): " + shown + " is not valid: "
                        + (setting.isSecret() ? "it must not be blank" : e.getMessage()));
                return Optional.empty();
            }
        }

        /**
         * {@code oidc-policy}'s claim rules build agent names from claims with {@code ${claim}} templates
         * inside JSON strings: data, not a server's placeholder. A server that failed to replace a
         * placeholder standing for the whole value leaves text that is no JSON, which still fails.
         */
        private static boolean carriesClaimTemplates(Setting setting, String raw) {
            String value = raw.strip();
            return setting == Setting.OIDC_POLICY && (value.startsWith("{") || value.startsWith("["));
        }

        Optional<String> rawValue(Setting setting) {
            for (SettingsSource source : sources) {
                Optional<String> value = source.lookup(setting).filter(v -> !v.isBlank());
                if (value.isPresent()) {
                    return value;
                }
            }
            return Optional.ofNullable(setting.defaultValue());
        }

        /** Whether the first source that has the setting at all holds only whitespace there. */
        private boolean isSetButBlank(Setting setting) {
            for (SettingsSource source : sources) {
                Optional<String> value = source.lookup(setting);
                if (value.isPresent()) {
                    return value.get().isBlank();
                }
            }
            return false;
        }

        private String blankOrigin(Setting setting) {
            for (SettingsSource source : sources) {
                if (source.lookup(setting).isPresent()) {
                    return source.describe(setting);
                }
            }
            return "the default";
        }

        boolean isExplicit(Setting setting) {
            return sources.stream().anyMatch(s -> s.lookup(setting).filter(v -> !v.isBlank()).isPresent());
        }

        String origin(Setting setting) {
            for (SettingsSource source : sources) {
                if (source.lookup(setting).filter(v -> !v.isBlank()).isPresent()) {
                    return source.describe(setting);
                }
            }
            return "the default";
        }
    }

    /** An absolute http(s) URL that other paths are appended to: no query, fragment or user info, no trailing slash. */
    private static URI baseUrl(String raw) {
        URI uri = absoluteHttpUrl(raw);
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        try {
            return new URI(scheme + "://" + uri.getRawAuthority() + path);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a URL: " + e.getReason());
        }
    }

    private static String claimValue(String raw) {
        if (raw.codePoints().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("must not contain control characters");
        }
        return raw;
    }

    private static String claimName(String raw) {
        if (!raw.matches("[A-Za-z0-9_.:/-]{1,100}")) {
            throw new IllegalArgumentException("must be a claim name such as agent_name");
        }
        return raw;
    }

    private static String scope(String raw) {
        if (!raw.matches("[\\x21\\x23-\\x5B\\x5D-\\x7E]{1,100}")) {
            // RFC 6749 §3.3: a scope token is printable ASCII without space, quote or backslash.
            throw new IllegalArgumentException("must be one scope such as anthropic");
        }
        return raw;
    }

    /** A few minutes at most: more would keep expired identity tokens alive. */
    private static Duration clockSkew(String raw) {
        Duration skew = nonNegativeDuration(raw);
        if (skew.compareTo(Duration.ofMinutes(5)) > 0) {
            throw new IllegalArgumentException("must be at most 5m");
        }
        return skew;
    }

    /** At least a minute: the key fetches of unknown key ids are limited to two in 30 seconds, which must fit. */
    private static Duration jwksRefresh(String raw) {
        Duration refresh = positiveDuration(raw);
        if (refresh.compareTo(Duration.ofMinutes(1)) < 0) {
            throw new IllegalArgumentException("must be at least 1m");
        }
        return refresh;
    }

    /**
     * An absolute {@code http} or {@code https} URL with a host, and no query, fragment or user info.
     *
     * @throws IllegalArgumentException saying what is wrong
     */
    static URI absoluteHttpUrl(String raw) {
        URI uri;
        try {
            uri = new URI(raw);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a URL: " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("must be an absolute http:// or https:// URL");
        }
        if (uri.getHost() == null) {
            throw new IllegalArgumentException("must name a host");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException("must not carry a query, a fragment or user info");
        }
        return uri;
    }

    private static Duration positiveDuration(String raw) {
        Duration duration = GoDuration.parse(raw);
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("must be longer than zero");
        }
        return duration;
    }

    /** A price table: the JSON itself when it starts with a brace, else the path of a file holding it. */
    private static PriceTable priceTable(String raw) {
        String trimmed = raw.strip();
        if (trimmed.startsWith("{")) {
            return PriceTable.withOverrides(trimmed, "setting");
        }
        Path path = Path.of(trimmed);
        try {
            return PriceTable.withOverrides(Files.readString(path), path.toString());
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("is neither a price table in JSON nor a readable file");
        }
    }

    private static Duration atLeastAnHour(String raw) {
        Duration duration = GoDuration.parse(raw);
        if (duration.compareTo(Duration.ofHours(1)) < 0) {
            throw new IllegalArgumentException("must be at least 1h: usage is kept by the hour");
        }
        return duration;
    }

    private static Duration nonNegativeDuration(String raw) {
        Duration duration = GoDuration.parse(raw);
        if (duration.isNegative()) {
            throw new IllegalArgumentException("must not be negative");
        }
        return duration;
    }

    private static long positiveSize(String raw) {
        long size = ByteSize.parse(raw);
        if (size <= 0) {
            throw new IllegalArgumentException("must be larger than zero");
        }
        return size;
    }

    private static boolean bool(String raw) {
        return switch (raw.toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("must be true or false");
        };
    }

    private static boolean onOff(String raw) {
        return switch (raw.toLowerCase(Locale.ROOT)) {
            case "on", "true" -> true;
            case "off", "false" -> false;
            default -> throw new IllegalArgumentException("must be on or off");
        };
    }

    private static int nonNegativeInt(String raw) {
        try {
            int value = Integer.parseInt(raw);
            if (value >= 0) {
                return value;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new IllegalArgumentException("must be a whole number, zero or more");
    }

    private static int positiveInt(String raw) {
        try {
            int value = Integer.parseInt(raw);
            if (value <= 0) {
                throw new IllegalArgumentException("must be a whole number above zero");
            }
            return value;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("must be a whole number above zero");
        }
    }
}
