package dev.creddy.anthropic.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.token.IdentityPolicy;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SettingsLoaderTest {

    /** A named source over a map, standing in for JNDI or context parameters. */
    private record MapSource(String name, Map<String, String> values) implements SettingsSource {
        @Override
        public Optional<String> lookup(Setting setting) {
            return Optional.ofNullable(values.get(setting.key()));
        }

        @Override
        public String describe(Setting setting) {
            return name + " " + setting.key();
        }
    }

    @Test
    void defaultsWhenNothingIsSet() {
        Settings settings = new SettingsLoader(List.of(new EnvironmentSettingsSource(Map.of()))).load();
        assertTrue(settings.anthropicApiKey().isEmpty());
        assertEquals(URI.create("https://api.anthropic.com"), settings.upstreamUrl());
        assertEquals(Duration.ofHours(24), settings.maxTtl());
        assertEquals(Duration.ofHours(1), settings.defaultTtl());
        assertFalse(settings.openIssuance());
        assertEquals(Duration.ofMinutes(10), settings.upstreamHeaderTimeout());
        assertTrue(settings.metrics());
        assertTrue(settings.metricsKey().isEmpty());
        assertEquals(100, settings.metricsMaxAgents());
        assertEquals(32L << 20, settings.maxRequestBody());
        assertEquals(500L << 20, settings.maxUploadBody());
        assertTrue(settings.publicUrl().isEmpty());
        assertFalse(settings.trustForwardedHeaders());
        assertTrue(settings.unconfiguredReason().orElseThrow().contains("anthropic-api-key"));
    }

    @Test
    void firstSourceWinsThenEnvironment() {
        SettingsSource jndi = new MapSource("jndi", Map.of("max-ttl", "2h"));
        SettingsSource params = new MapSource("param", Map.of("max-ttl", "3h", "upstream-url", "http://127.0.0.1:9/base/"));
        SettingsSource env = new EnvironmentSettingsSource(Map.of("ANTHROPIC_API_KEY", "sk-ant-test-key",
                "CREDDY_MAX_TTL", "4h", "CREDDY_OPEN_ISSUANCE", "TRUE"));
        Settings settings = new SettingsLoader(List.of(jndi, params, env)).load();
        assertEquals(Duration.ofHours(2), settings.maxTtl());
        assertEquals(URI.create("http://127.0.0.1:9/base"), settings.upstreamUrl());
        assertEquals("sk-ant-test-key", settings.anthropicApiKey().orElseThrow().reveal());
        assertTrue(settings.openIssuance());
    }

    @Test
    void originsNameTheWinningSourceAndNoValue() {
        SettingsSource jndi = new MapSource("jndi", Map.of("anthropic-api-key", "sk-ant-from-jndi"));
        SettingsSource env = new EnvironmentSettingsSource(Map.of("ANTHROPIC_API_KEY", "sk-ant-from-env",
                "CREDDY_MAX_TTL", "4h"));
        Map<Setting, String> origins = new SettingsLoader(List.of(jndi, env)).origins();
        assertEquals(Map.of(Setting.ANTHROPIC_API_KEY, "jndi anthropic-api-key",
                Setting.MAX_TTL, "environment variable CREDDY_MAX_TTL"), origins);
        assertFalse(origins.toString().contains("sk-ant"), origins.toString());
    }

    @Test
    void clientFacingSettingsComeFromTheEnvironment() {
        Settings settings = new SettingsLoader(List.of(new EnvironmentSettingsSource(Map.of(
                "CREDDY_PUBLIC_URL", "https://gw.example.com/creddy/", "CREDDY_TRUST_FORWARDED_HEADERS", "true",
                "CREDDY_MAX_UPLOAD_BODY", "1GB")))).load();
        assertEquals(Optional.of(URI.create("https://gw.example.com/creddy")), settings.publicUrl());
        assertTrue(settings.trustForwardedHeaders());
        assertEquals(1L << 30, settings.maxUploadBody());
    }

    @Test
    void blankValuesCountAsUnset() {
        SettingsSource jndi = new MapSource("jndi", Map.of("max-ttl", "  "));
        Settings settings = new SettingsLoader(List.of(jndi, new EnvironmentSettingsSource(Map.of("CREDDY_MAX_TTL", "5h"))))
                .load();
        assertEquals(Duration.ofHours(5), settings.maxTtl());
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
            "max-ttl|forever|max-ttl (from jndi max-ttl): \"forever\" is not valid",
            "max-ttl|-1h|must be longer than zero",
            "max-ttl|0|must be longer than zero",
            "upstream-url|ftp://example.com|http:// or https://",
            "upstream-url|http://host/x?y=1|must not carry a query",
            "upstream-url|not a url|not a URL",
            "open-issuance|yes|must be true or false",
            "upstream-max-connections|0|whole number above zero",
            "upstream-max-connections|many|whole number above zero",
            "upstream-header-timeout|5|missing unit",
            "metrics|maybe|must be on or off",
            "metrics-max-agents|-1|zero or more",
            "metrics-max-agents|lots|zero or more",
            "token-store|disk|must be memory or redis",
            "redis-url|http://127.0.0.1:6379|must be a redis:// or rediss:// (TLS) URL",
            "redis-url|redis:///0|must name a host",
            "redis-url|redis://127.0.0.1:6379/zero|may only name a database number",
            "redis-url|redis://127.0.0.1:6379/0?timeout=5s|must not carry a query",
            "redis-url|redis://bad host|not a URL",
            "redis-command-timeout|0|must be longer than zero",
            "redis-cache-ttl|-1s|must not be negative",
            "redis-cache-ttl|soon|invalid duration",
            "redis-url|redis-sentinel://127.0.0.1:26379/0|names the master after #",
            "redis-url|redis://127.0.0.1:6379/0#x|must not carry a fragment",
            "redis-url|redis-sentinel://a:26379,:1/0#m|must name a host",
            "redis-key-prefix|creddy:{x}:|must be 1 to 64 of",
            "redis-username|two words|must be an ACL user name",
            "redis-cluster|yes|must be on or off",
            "redis-tls-ca|/nonexistent/ca.pem|is not a readable file",
            "redis-tls-verify-hostname|maybe|must be true or false",
            "public-url|gw.example.com|http:// or https://",
            "public-url|https://gw.example.com/?x=1|must not carry a query",
            "trust-forwarded-headers|on|must be true or false",
            "max-upload-body|0|must be larger than zero",
            "oidc-issuer|http://creddy.example.com|must use https (http is accepted only for loopback hosts",
            "oidc-issuer|http://127.0.0.1.example.com|must use https",
            "oidc-issuer|https://a.example, ftp://b.example|must be an absolute http:// or https:// URL",
            "oidc-issuer|https://idp.example/?x=1|must not carry a query",
            "oidc-required-scope|two scopes|must be one scope",
            "oidc-agent-claim|agent name|must be a claim name",
            "oidc-scopes-claim|scope\"s|must be a claim name",
            "oidc-clock-skew|1h|must be at most 5m",
            "oidc-clock-skew|-1s|must not be negative",
            "oidc-jwks-refresh|10s|must be at least 1m",
            "oidc-direct-use|yes|must be true or false",
            "oidc-policy|{\"agent:a\":{\"rps\":1}}|unknown field \"rps\"",
            "oidc-policy|{\"team:a\":{}}|neither agent:<name> nor scope:<scope>",
            "oidc-policy|[]|must be a JSON object",
            "console|maybe|must be on or off",
            "console-session-ttl|0|must be longer than zero",
            "console-session-ttl|all day|invalid duration",
            "oidc-issuer-options|[]|must be a JSON object",
            "oidc-issuer-options|{\"https://a.example\":{\"aud\":\"x\"}}|unknown field \"aud\"",
            "oidc-issuer-options|{\"https://a.example\":{\"required_scope\":true}}|or false for an issuer whose tokens claim rules admit",
            "agent-concurrency|{\"researcher\":0}|the cap of \"researcher\" must be a whole number from 1 to",
            "agent-concurrency|[4]|must be a JSON object from agent name to requests in flight",
            "concurrency-lease|500ms|must be at least 1s",
            "budget-enforcement|hard|must be lenient or strict",
            "default-limits|{\"max_concurrent\":0}|max_concurrent must be a whole number from 1 to 100000",
    })
    void wrongValuesNameTheSettingAndSource(String key, String value, String expected) {
        InvalidSettingsException e = assertThrows(InvalidSettingsException.class,
                () -> new SettingsLoader(List.of(new MapSource("jndi", Map.of(key, value)))).load());
        assertTrue(e.getMessage().contains(key), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void enforcementSettingsAndTheirDefaults() {
        Settings defaults = new SettingsLoader(List.of()).load();
        assertEquals(EnforcementSettings.DEFAULTS, defaults.enforcement());
        Settings set = new SettingsLoader(List.of(new MapSource("jndi", Map.of("agent-concurrency", "{\"researcher\":4}",
                "concurrency-lease", "5s", "budget-enforcement", "strict", "default-limits", "{\"max_concurrent\":3}")))).load();
        assertEquals(4, set.enforcement().agentCap("researcher"));
        assertEquals(0, set.enforcement().agentCap("writer"));
        assertEquals(java.time.Duration.ofSeconds(5), set.enforcement().concurrencyLease());
        assertTrue(set.enforcement().strictBudgets());
        assertEquals(java.util.OptionalLong.of(3), set.defaultLimits().maxConcurrent());
    }

    /** Per-issuer options and claim rules name trusted issuers, and an issuer without a scope has claim rules. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"https://other.example\":{\"audience\":\"x\"}}|[{\"match\":{\"iss\":\"https://gh.example\"}}]|oidc-issuer-options (from jndi oidc-issuer-options) names https://other.example, which oidc-issuer does not list",
            "{\"https://gh.example\":{\"required_scope\":false}}|{\"agent:a\":{}}|turns the required scope off for https://gh.example, but oidc-policy has no claim rule for it",
            "{}|[{\"match\":{\"iss\":\"https://other.example\"}}]|oidc-policy (from jndi oidc-policy) has a claim rule for https://other.example, which oidc-issuer does not list",
    })
    void workloadIssuersAreCheckedAgainstTheTrustedOnes(String options, String policy, String expected) {
        InvalidSettingsException e = assertThrows(InvalidSettingsException.class, () -> new SettingsLoader(List.of(
                new MapSource("jndi", Map.of("oidc-issuer", "https://gh.example", "oidc-audience", "creddy",
                        "oidc-issuer-options", options, "oidc-policy", policy)))).load());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void anIssuerMayHaveItsOwnAudienceAndNoScope() {
        OidcSettings oidc = new SettingsLoader(List.of(new MapSource("jndi", Map.of(
                "oidc-issuer", "https://gh.example https://creddy.example", "oidc-audience", "creddy",
                "oidc-issuer-options", "{\"https://gh.example\":{\"audience\":\"https://github.com/acme\",\"required_scope\":false},"
                        + "\"https://creddy.example\":{\"required_scope\":\"llm\"}}",
                "oidc-policy", "[{\"match\":{\"iss\":\"https://gh.example\",\"repository\":\"acme/*\"}}]"))))
                .load().oidc().orElseThrow();
        assertEquals("https://github.com/acme", oidc.audienceFor("https://gh.example"));
        assertEquals(Optional.empty(), oidc.requiredScopeFor("https://gh.example"));
        assertEquals("creddy", oidc.audienceFor("https://creddy.example"));
        assertEquals(Optional.of("llm"), oidc.requiredScopeFor("https://creddy.example"));
        assertEquals(Optional.of("anthropic"), oidc.requiredScopeFor("https://third.example"));
    }

    @Test
    void identityTokensAreOffUntilAnIssuerIsTrusted() {
        Settings settings = new SettingsLoader(List.of(new MapSource("jndi", Map.of("oidc-audience", "creddy-proxy")))).load();
        assertTrue(settings.oidc().isEmpty());
    }

    @Test
    void identityTokenSettingsAndTheirDefaults() {
        Settings settings = new SettingsLoader(List.of(new MapSource("jndi", Map.of(
                "oidc-issuer", "https://creddy.example.com, http://127.0.0.1:8443/realms/a\thttp://[::1]:9/ http://localhost:1",
                "oidc-audience", "creddy-proxy")))).load();
        OidcSettings oidc = settings.oidc().orElseThrow();
        assertEquals(List.of(URI.create("https://creddy.example.com"), URI.create("http://127.0.0.1:8443/realms/a"),
                URI.create("http://[::1]:9/"), URI.create("http://localhost:1")), oidc.issuers());
        assertEquals("creddy-proxy", oidc.audience());
        assertEquals("anthropic", oidc.requiredScope());
        assertEquals("agent_name", oidc.agentClaim());
        assertEquals(Optional.empty(), oidc.scopesClaim());
        assertEquals(Duration.ofSeconds(60), oidc.clockSkew());
        assertEquals(Duration.ofHours(1), oidc.jwksRefresh());
        assertFalse(oidc.directUse());
        assertEquals(IdentityPolicy.NONE, oidc.policy());

        OidcSettings custom = new SettingsLoader(List.of(new EnvironmentSettingsSource(Map.of(
                "CREDDY_OIDC_ISSUER", "https://idp.example/realms/x", "CREDDY_OIDC_AUDIENCE", "api://creddy",
                "CREDDY_OIDC_REQUIRED_SCOPE", "llm", "CREDDY_OIDC_AGENT_CLAIM", "azp", "CREDDY_OIDC_SCOPES_CLAIM", "scp",
                "CREDDY_OIDC_CLOCK_SKEW", "0s", "CREDDY_OIDC_JWKS_REFRESH", "15m", "CREDDY_OIDC_DIRECT_USE", "true",
                "CREDDY_OIDC_POLICY", "{\"agent:researcher\":{\"rpm\":60}}"))))
                .load().oidc().orElseThrow();
        assertEquals(new OidcSettings(List.of(URI.create("https://idp.example/realms/x")), "api://creddy", "llm", "azp",
                Optional.of("scp"), Duration.ZERO, Duration.ofMinutes(15), true,
                IdentityPolicy.parse("{\"agent:researcher\":{\"rpm\":60}}")), custom);
    }

    @Test
    void anIssuerWithoutAnAudienceFailsTheDeploymentNamingBoth() {
        InvalidSettingsException e = assertThrows(InvalidSettingsException.class, () -> new SettingsLoader(List.of(
                new MapSource("jndi", Map.of("oidc-issuer", "https://creddy.example.com")))).load());
        assertEquals(1, e.problems().size(), e.getMessage());
        assertTrue(e.getMessage().contains("oidc-issuer (from jndi oidc-issuer) is set, but oidc-audience is not"),
                e.getMessage());
    }

    @Test
    void theApprovalPagesProviderNeedsAClientIdAndExactlyOneSecret() throws Exception {
        Map<String, String> base = Map.of("device-sign-in", "on", "device-oidc-issuer", "https://idp.example/realms/acme");
        InvalidSettingsException none = assertThrows(InvalidSettingsException.class, () -> new SettingsLoader(List.of(
                new MapSource("jndi", base))).load());
        assertEquals(2, none.problems().size(), none.getMessage());
        assertTrue(none.getMessage().contains("device-oidc-issuer (from jndi device-oidc-issuer) is set, but "
                + "device-oidc-client-id is not"), none.getMessage());
        assertTrue(none.getMessage().contains("but device-oidc-client-secret is not"), none.getMessage());

        java.nio.file.Path file = java.nio.file.Files.createTempFile("client-secret", ".txt");
        try {
            java.nio.file.Files.writeString(file, "s3cr3t-from-file\n");
            Map<String, String> both = new java.util.HashMap<>(base);
            both.put("device-oidc-client-id", "creddy");
            both.put("device-oidc-client-secret", "s3cr3t-value");
            both.put("device-oidc-client-secret-file", file.toString());
            InvalidSettingsException twice = assertThrows(InvalidSettingsException.class, () -> new SettingsLoader(List.of(
                    new MapSource("jndi", both))).load());
            assertEquals(1, twice.problems().size(), twice.getMessage());
            assertTrue(twice.getMessage().contains("are both set: remove one of them"), twice.getMessage());
            assertFalse(twice.getMessage().contains("s3cr3t"), "never the secret");

            both.remove("device-oidc-client-secret");
            both.put("device-oidc-scopes", "openid profile groups");
            DeviceOidcSettings oidc = new SettingsLoader(List.of(new MapSource("jndi", both))).load().deviceSignIn()
                    .orElseThrow().oidc().orElseThrow();
            assertEquals("s3cr3t-from-file", oidc.currentClientSecret().reveal(), "read from the file, without its line end");
            assertEquals(List.of("openid", "profile", "groups"), oidc.scopes());
            assertEquals("preferred_username", oidc.nameClaim());
            assertEquals("groups", oidc.groupsClaim());
            assertFalse(oidc.toString().contains("s3cr3t"));
            java.nio.file.Files.writeString(file, "rotated\n");
            assertEquals("rotated", oidc.currentClientSecret().reveal(), "read again at every sign-in");
        } finally {
            java.nio.file.Files.delete(file);
        }
    }

    @Test
    void managedSettingsMustBeAFileHoldingOneJsonObject() throws Exception {
        java.nio.file.Path file = java.nio.file.Files.createTempFile("managed", ".json");
        try {
            java.nio.file.Files.writeString(file, "[\"not an object\"]");
            InvalidSettingsException refused = assertThrows(InvalidSettingsException.class, () -> new SettingsLoader(List.of(
                    new MapSource("jndi", Map.of("device-sign-in", "on", "device-managed-settings", file.toString())))).load());
            assertEquals(1, refused.problems().size(), refused.getMessage());
            assertTrue(refused.getMessage().contains("device-managed-settings (from jndi device-managed-settings)")
                    && refused.getMessage().contains("must be a file holding one JSON object"), refused.getMessage());
            java.nio.file.Files.writeString(file, "{\"permissions\":{\"deny\":[\"WebFetch\"]}}");
            assertEquals(Optional.of(file), new SettingsLoader(List.of(new MapSource("jndi", Map.of("device-sign-in", "on",
                    "device-managed-settings", file.toString())))).load().deviceSignIn().orElseThrow().managedSettings());
        } finally {
            java.nio.file.Files.delete(file);
        }
    }

    @Test
    void theProvidersOtherSettingsWithoutAnIssuerAndScopesWithoutOpenidAreRefused() {
        InvalidSettingsException stray = assertThrows(InvalidSettingsException.class, () -> new SettingsLoader(List.of(
                new MapSource("jndi", Map.of("device-sign-in", "on", "device-oidc-client-id", "creddy")))).load());
        assertEquals(List.of("device-oidc-client-id (from jndi device-oidc-client-id) is set, but device-oidc-issuer is not: "
                + "set it to the provider's issuer URL, or remove device-oidc-client-id"), stray.problems());
        InvalidSettingsException scopes = assertThrows(InvalidSettingsException.class, () -> new SettingsLoader(List.of(
                new MapSource("jndi", Map.of("device-sign-in", "on", "device-oidc-issuer", "https://idp.example",
                        "device-oidc-client-id", "creddy", "device-oidc-client-secret", "x", "device-oidc-scopes", "profile"))))
                .load());
        assertEquals(1, scopes.problems().size(), scopes.getMessage());
        assertTrue(scopes.getMessage().contains("must include openid"), scopes.getMessage());
        InvalidSettingsException plainHttp = assertThrows(InvalidSettingsException.class, () -> new SettingsLoader(List.of(
                new MapSource("jndi", Map.of("device-sign-in", "on", "device-oidc-issuer", "http://idp.example",
                        "device-oidc-client-id", "creddy", "device-oidc-client-secret", "x")))).load());
        assertTrue(plainHttp.getMessage().contains("device-oidc-issuer (from jndi device-oidc-issuer)"), plainHttp.getMessage());
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        InvalidSettingsException e = assertThrows(InvalidSettingsException.class, () -> new SettingsLoader(List.of(
                new MapSource("jndi", Map.of("max-ttl", "x", "open-issuance", "maybe")))).load());
        assertEquals(2, e.problems().size(), e.getMessage());
    }

    @Test
    void defaultTtlFollowsAShorterMaximumUnlessSetExplicitly() {
        Settings settings = new SettingsLoader(List.of(new MapSource("jndi", Map.of("max-ttl", "30m")))).load();
        assertEquals(Duration.ofMinutes(30), settings.defaultTtl());
        InvalidSettingsException e = assertThrows(InvalidSettingsException.class, () -> new SettingsLoader(List.of(
                new MapSource("jndi", Map.of("max-ttl", "30m", "default-ttl", "2h")))).load());
        assertTrue(e.getMessage().contains("default-ttl"), e.getMessage());
    }

    @ParameterizedTest(name = "metrics={0}")
    @CsvSource({"on, true", "OFF, false", "true, true", "false, false"})
    void metricsAreSwitchedOnOrOff(String value, boolean expected) {
        Settings settings = new SettingsLoader(List.of(new MapSource("jndi", Map.of("metrics", value)))).load();
        assertEquals(expected, settings.metrics());
    }

    @Test
    void theConsoleIsOnWithEightHourSessionsUnlessSetOtherwise() {
        Settings defaults = new SettingsLoader(List.of(new MapSource("jndi", Map.of()))).load();
        assertTrue(defaults.console().enabled());
        assertEquals(java.time.Duration.ofHours(8), defaults.console().sessionTtl());
        Settings set = new SettingsLoader(List.of(new MapSource("jndi", Map.of("console", "off",
                "console-session-ttl", "30m")))).load();
        assertFalse(set.console().enabled());
        assertEquals(java.time.Duration.ofMinutes(30), set.console().sessionTtl());
    }

    @Test
    void tokensStayInMemoryUnlessRedisIsConfigured() {
        Settings settings = new SettingsLoader(List.of(new EnvironmentSettingsSource(Map.of()))).load();
        assertEquals(TokenStoreKind.MEMORY, settings.tokenStore());
        assertTrue(settings.redis().isEmpty());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            "a Redis URL alone selects Redis|-|redis://127.0.0.1:6379/0",
            "explicitly|redis|rediss://cache.internal:6380/3",
            "in any case|REDIS|redis://[::1]:6379",
    })
    void aRedisUrlSelectsTheRedisStoreWithItsDefaults(String name, String store, String url) {
        Map<String, String> values = new java.util.HashMap<>(Map.of("redis-url", url));
        if (store != null) {
            values.put("token-store", store);
        }
        Settings settings = new SettingsLoader(List.of(new MapSource("jndi", values))).load();
        assertEquals(TokenStoreKind.REDIS, settings.tokenStore());
        RedisSettings redis = settings.redis().orElseThrow();
        assertEquals(URI.create(url), redis.url());
        assertEquals(Duration.ofSeconds(2), redis.commandTimeout());
        assertEquals(Duration.ofSeconds(1), redis.cacheTtl());
        assertTrue(redis.password().isEmpty());
    }

    @Test
    void sentinelUrlsUserOnlyUrlsAndTheNewRedisSettingsAreRead() {
        Settings settings = new SettingsLoader(List.of(new EnvironmentSettingsSource(Map.of(
                "CREDDY_REDIS_URL", "redis-sentinel://creddy@10.0.0.1:26379,10.0.0.2:26380/2#mymaster",
                "CREDDY_REDIS_PASSWORD", "pw", "CREDDY_REDIS_KEY_PREFIX", "creddy:staging:",
                "CREDDY_REDIS_TLS_VERIFY_HOSTNAME", "false")))).load();
        RedisSettings redis = settings.redis().orElseThrow();
        assertTrue(redis.sentinel());
        assertEquals(List.of(new RedisSettings.HostAndPort("10.0.0.1", 26379), new RedisSettings.HostAndPort("10.0.0.2", 26380)),
                redis.hosts());
        assertEquals(Optional.of("mymaster"), redis.sentinelMaster());
        assertEquals(2, redis.database());
        assertEquals(Optional.of("creddy"), redis.urlUsername());
        assertTrue(redis.urlPassword().isEmpty(), "a user-only URL carries no password");
        assertEquals("creddy:staging:", redis.keyPrefix());
        assertFalse(redis.tls().verifyHostname());
        assertEquals("redis-sentinel://****@10.0.0.1:26379,10.0.0.2:26380/2#mymaster", redis.maskedUrl());
    }

    @Test
    void redisTimingsComeFromTheirSettingsAndAZeroCacheTtlTurnsTheCacheOff() {
        Settings settings = new SettingsLoader(List.of(new EnvironmentSettingsSource(Map.of(
                "CREDDY_REDIS_URL", "redis://127.0.0.1:6379/0", "CREDDY_REDIS_COMMAND_TIMEOUT", "500ms",
                "CREDDY_REDIS_CACHE_TTL", "0")))).load();
        assertEquals(Duration.ofMillis(500), settings.redis().orElseThrow().commandTimeout());
        assertEquals(Duration.ZERO, settings.redis().orElseThrow().cacheTtl());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "token-store=redis without a URL|token-store|redis||redis-url is not set",
            "a URL next to an explicit memory store|token-store|memory|redis://127.0.0.1:6379/0|remove one of them",
    })
    void contradictoryStoreSettingsAreRefused(String name, String key, String value, String url, String expected) {
        Map<String, String> values = new java.util.HashMap<>(Map.of(key, value));
        if (url != null) {
            values.put("redis-url", url);
        }
        InvalidSettingsException e = assertThrows(InvalidSettingsException.class,
                () -> new SettingsLoader(List.of(new MapSource("jndi", values))).load());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(e.getMessage().contains("jndi token-store"), "names where it came from: " + e.getMessage());
    }

    @Test
    void redisPasswordsNeverShow() {
        Settings settings = new SettingsLoader(List.of(new EnvironmentSettingsSource(Map.of(
                "CREDDY_REDIS_URL", "redis://creddy:url-hunter2@127.0.0.1:6379/1",
                "CREDDY_REDIS_PASSWORD", "setting-hunter2")))).load();
        String shown = settings.toString();
        assertFalse(shown.contains("hunter2"), shown);
        assertTrue(shown.contains("redis://****@127.0.0.1:6379/1"), shown);
        assertEquals("setting-hunter2", settings.redis().orElseThrow().password().orElseThrow().reveal());

        InvalidSettingsException e = assertThrows(InvalidSettingsException.class, () -> new SettingsLoader(List.of(
                new EnvironmentSettingsSource(Map.of("CREDDY_REDIS_URL", "redis://creddy:url-hunter2@127.0.0.1:6379/x")))).load());
        assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
        assertTrue(e.getMessage().contains("redis-url (from environment variable CREDDY_REDIS_URL)"), e.getMessage());
    }

    @Test
    void secretsNeverAppearInToStringOrMessages() {
        Settings settings = new SettingsLoader(List.of(new EnvironmentSettingsSource(Map.of(
                "ANTHROPIC_API_KEY", "sk-ant-very-secret", "CREDDY_ISSUER_KEY", "issuer-very-secret",
                "CREDDY_METRICS_KEY", "metrics-very-secret")))).load();
        String shown = settings.toString();
        assertFalse(shown.contains("very-secret"), shown);
        assertTrue(settings.issuerKey().orElseThrow().matches("issuer-very-secret"));
        assertFalse(settings.issuerKey().orElseThrow().matches("issuer-very-secreT"));
        assertFalse(settings.issuerKey().orElseThrow().matches(null));
    }

    /** Every secret the loader reads: a placeholder or an empty value in any of them fails the deployment. */
    static List<Setting> secrets() {
        return java.util.Arrays.stream(Setting.values()).filter(Setting::isSecret).toList();
    }

    @ParameterizedTest(name = "{0} = {1}")
    @org.junit.jupiter.params.provider.MethodSource("secretPlaceholders")
    void aSecretThatIsAnUnresolvedPlaceholderFailsNamingItAndItsSource(Setting secret, String value) {
        SettingsSource jndi = new MapSource("JNDI java:comp/env/creddy/" + secret.key(), Map.of(secret.key(), value));
        InvalidSettingsException thrown = assertThrows(InvalidSettingsException.class,
                () -> new SettingsLoader(List.of(jndi, new EnvironmentSettingsSource(Map.of()))).load());
        assertEquals(1, thrown.problems().size(), thrown.getMessage());
        String problem = thrown.problems().get(0);
        assertTrue(problem.startsWith(secret.key() + " (from JNDI java:comp/env/creddy/" + secret.key() + " "), problem);
        assertTrue(problem.contains("unresolved placeholder"), problem);
        assertFalse(thrown.getMessage().contains(value), "a secret's value is never quoted: " + thrown.getMessage());
        assertFalse(thrown.getMessage().contains("\n"), "one line: " + thrown.getMessage());
    }

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> secretPlaceholders() {
        return secrets().stream().flatMap(secret -> java.util.stream.Stream.of(
                "${" + secret.environmentVariable() + "}", "$\\{" + secret.environmentVariable() + "}",
                "#{" + secret.environmentVariable() + "}", "${env." + secret.environmentVariable() + "}",
                "prefix-${X}-suffix").map(value -> org.junit.jupiter.params.provider.Arguments.of(secret, value)));
    }

    @ParameterizedTest(name = "{0} = \"{1}\"")
    @org.junit.jupiter.params.provider.MethodSource("blankSecrets")
    void aSecretSetToNothingFailsNamingItsSource(Setting secret, String value) {
        SettingsSource env = new EnvironmentSettingsSource(Map.of(secret.environmentVariable(), value));
        InvalidSettingsException thrown = assertThrows(InvalidSettingsException.class,
                () -> new SettingsLoader(List.of(env)).load());
        assertEquals(List.of(secret.key() + " (from environment variable " + secret.environmentVariable()
                + ") is set but empty: give it the secret's value, or remove the setting"), thrown.problems());
    }

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> blankSecrets() {
        return secrets().stream().flatMap(secret -> java.util.stream.Stream.of("", " ", "\t ")
                .map(value -> org.junit.jupiter.params.provider.Arguments.of(secret, value)));
    }

    @Test
    void aBlankSecretInAnEarlierSourceIsNotHiddenByALaterOne() {
        SettingsSource params = new MapSource("context parameter", Map.of("issuer-key", ""));
        SettingsSource env = new EnvironmentSettingsSource(Map.of("CREDDY_ISSUER_KEY", "issuer-from-env"));
        InvalidSettingsException thrown = assertThrows(InvalidSettingsException.class,
                () -> new SettingsLoader(List.of(params, env)).load());
        assertTrue(thrown.getMessage().contains("issuer-key (from context parameter issuer-key) is set but empty"),
                thrown.getMessage());
    }

    @Test
    void aSecretNoSourceMentionsStaysOptional() {
        Settings settings = new SettingsLoader(List.of(new MapSource("jndi", Map.of()),
                new EnvironmentSettingsSource(Map.of()))).load();
        assertTrue(settings.anthropicApiKey().isEmpty());
        assertTrue(settings.issuerKey().isEmpty());
        assertTrue(settings.unconfiguredReason().orElseThrow().contains("anthropic-api-key"));
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '|', value = {
            "max-ttl|${CREDDY_MAX_TTL}",
            "upstream-url|${CREDDY_UPSTREAM_URL}",
            "upstream-url|https://#{upstream.host}/v1",
            "default-limits|{\"rpm\":${RPM}}",
            "oidc-audience|$\\{CREDDY_OIDC_AUDIENCE}",
            "metrics|${CREDDY_METRICS:on}",
    })
    void aPlainSettingThatIsAnUnresolvedPlaceholderFailsQuotingIt(String key, String value) {
        SettingsSource jndi = new MapSource("jndi", Map.of(key, value));
        InvalidSettingsException thrown = assertThrows(InvalidSettingsException.class,
                () -> new SettingsLoader(List.of(jndi)).load());
        assertEquals(1, thrown.problems().size(), thrown.getMessage());
        assertTrue(thrown.problems().get(0).startsWith(key + " (from jndi " + key + "): \"" + value
                + "\" is an unresolved placeholder"), thrown.problems().get(0));
    }

    @Test
    void aRedisUrlPlaceholderIsNotQuotedForItMayHoldAPassword() {
        SettingsSource jndi = new MapSource("jndi", Map.of("redis-url", "redis://:${REDIS_PASS}@127.0.0.1:6379/0"));
        InvalidSettingsException thrown = assertThrows(InvalidSettingsException.class,
                () -> new SettingsLoader(List.of(jndi)).load());
        assertTrue(thrown.getMessage().contains("redis-url (from jndi redis-url): the configured value is an unresolved placeholder"),
                thrown.getMessage());
        assertFalse(thrown.getMessage().contains("REDIS_PASS"), thrown.getMessage());
    }

    /** Claim rules name claims with ${claim} inside the JSON: data, while a whole-value placeholder still fails. */
    @Test
    void oidcPolicyClaimTemplatesAreNoPlaceholdersButAWholeValuePlaceholderFails() {
        String policy = "[{\"match\":{\"iss\":\"https://gh.example\",\"repository\":\"acme/*\"},\"agent\":\"gh:${repository}\"}]";
        SettingsSource jndi = new MapSource("jndi", Map.of("oidc-issuer", "https://gh.example", "oidc-audience", "creddy",
                "oidc-issuer-options", "{\"https://gh.example\":{\"required_scope\":false}}", "oidc-policy", policy));
        assertTrue(new SettingsLoader(List.of(jndi)).load().oidc().isPresent());

        SettingsSource unresolved = new MapSource("jndi", Map.of("oidc-issuer", "https://gh.example", "oidc-audience", "creddy",
                "oidc-policy", "${CREDDY_OIDC_POLICY}"));
        InvalidSettingsException thrown = assertThrows(InvalidSettingsException.class,
                () -> new SettingsLoader(List.of(unresolved)).load());
        assertTrue(thrown.getMessage().contains("oidc-policy (from jndi oidc-policy): \"${CREDDY_OIDC_POLICY}\" is an unresolved placeholder"),
                thrown.getMessage());
    }

    @Test
    void valuesThatOnlyLookLikePlaceholdersPass() {
        SettingsSource env = new EnvironmentSettingsSource(Map.of("ANTHROPIC_API_KEY", "sk-ant-$abc{def",
                "CREDDY_ISSUER_KEY", "issuer#{no-close", "CREDDY_DEFAULT_LIMITS", "{\"rpm\":5}"));
        Settings settings = new SettingsLoader(List.of(env)).load();
        assertEquals("sk-ant-$abc{def", settings.anthropicApiKey().orElseThrow().reveal());
        assertEquals(5, settings.defaultLimits().rpm().getAsLong());
    }

    /** Issue 16: revocations wait for replicas only when asked, and never on a Cluster (WAIT counts one node's replicas). */
    @Test
    void revocationsWaitForReplicasWhenAskedAndNotOnACluster() {
        Settings plain = new SettingsLoader(List.of(new EnvironmentSettingsSource(Map.of(
                "CREDDY_REDIS_URL", "redis://127.0.0.1:6379/0")))).load();
        assertEquals(RevokeWait.OFF, plain.redis().orElseThrow().revokeWait());
        assertFalse(plain.redis().orElseThrow().revokeWait().waits());

        Settings waiting = new SettingsLoader(List.of(new EnvironmentSettingsSource(Map.of(
                "CREDDY_REDIS_URL", "redis://127.0.0.1:6379/0", "CREDDY_REDIS_REVOKE_WAIT_REPLICAS", "2",
                "CREDDY_REDIS_REVOKE_WAIT_TIMEOUT", "500ms")))).load();
        assertEquals(new RevokeWait(2, Duration.ofMillis(500)), waiting.redis().orElseThrow().revokeWait());

        InvalidSettingsException cluster = assertThrows(InvalidSettingsException.class, () -> new SettingsLoader(List.of(
                new EnvironmentSettingsSource(Map.of("CREDDY_REDIS_URL", "redis://127.0.0.1:7000", "CREDDY_REDIS_CLUSTER", "on",
                        "CREDDY_REDIS_REVOKE_WAIT_REPLICAS", "1")))).load());
        assertTrue(cluster.getMessage().contains("redis-revoke-wait-replicas (from environment variable "
                + "CREDDY_REDIS_REVOKE_WAIT_REPLICAS) is 1, but redis-cluster is on"), cluster.getMessage());
        for (Map.Entry<String, String> bad : Map.of("CREDDY_REDIS_REVOKE_WAIT_REPLICAS", "-1",
                "CREDDY_REDIS_REVOKE_WAIT_TIMEOUT", "0").entrySet()) {
            InvalidSettingsException refused = assertThrows(InvalidSettingsException.class, () -> new SettingsLoader(List.of(
                    new EnvironmentSettingsSource(Map.of("CREDDY_REDIS_URL", "redis://127.0.0.1:6379/0", bad.getKey(),
                            bad.getValue())))).load());
            assertTrue(refused.getMessage().contains(bad.getKey()), refused.getMessage());
        }
    }
}
