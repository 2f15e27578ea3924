package dev.creddy.anthropic.standalone;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The launcher's command line, with the original tool's flags. Flags take {@code --name value},
 * {@code --name=value} or Go's single-dash forms. Settings given here become context parameters of
 * the application, so they win over environment variables (which the application reads itself).
 *
 * @param address where to listen
 * @param contextPath the application's context path ({@code ""} for the root)
 * @param settings setting name to value, e.g. {@code max-ttl -> 8h}
 * @param help whether to print the usage and exit
 */
record LaunchOptions(ListenAddress address, String contextPath, Map<String, String> settings, boolean help) {

    static final String DEFAULT_ADDRESS = "127.0.0.1:8080";

    /** Flags that carry a setting, with the setting they set. */
    private static final Map<String, String> SETTING_FLAGS = Map.ofEntries(
            Map.entry("api-key", "anthropic-api-key"),
            Map.entry("upstream", "upstream-url"),
            Map.entry("issuer-key", "issuer-key"),
            Map.entry("max-ttl", "max-ttl"),
            Map.entry("default-ttl", "default-ttl"),
            Map.entry("header-timeout", "upstream-header-timeout"),
            Map.entry("idle-timeout", "upstream-idle-timeout"),
            Map.entry("max-connections", "upstream-max-connections"),
            Map.entry("max-request-body", "max-request-body"),
            Map.entry("shutdown-grace", "shutdown-grace"),
            Map.entry("token-store", "token-store"),
            Map.entry("redis-url", "redis-url"),
            Map.entry("redis-command-timeout", "redis-command-timeout"),
            Map.entry("redis-cache-ttl", "redis-cache-ttl"),
            Map.entry("redis-username", "redis-username"),
            Map.entry("redis-password-file", "redis-password-file"),
            Map.entry("redis-key-prefix", "redis-key-prefix"),
            Map.entry("redis-cluster", "redis-cluster"),
            Map.entry("redis-tls-ca", "redis-tls-ca"),
            Map.entry("redis-tls-cert", "redis-tls-cert"),
            Map.entry("redis-tls-key", "redis-tls-key"),
            Map.entry("redis-tls-verify-hostname", "redis-tls-verify-hostname"),
            Map.entry("max-upload-body", "max-upload-body"),
            Map.entry("public-url", "public-url"),
            Map.entry("oidc-issuer", "oidc-issuer"),
            Map.entry("oidc-audience", "oidc-audience"),
            Map.entry("oidc-required-scope", "oidc-required-scope"),
            Map.entry("oidc-agent-claim", "oidc-agent-claim"),
            Map.entry("oidc-scopes-claim", "oidc-scopes-claim"),
            Map.entry("oidc-clock-skew", "oidc-clock-skew"),
            Map.entry("oidc-jwks-refresh", "oidc-jwks-refresh"),
            Map.entry("default-limits", "default-limits"),
            Map.entry("usage-metering", "usage-metering"));

    static String usage() {
        return """
                Usage: java -jar creddy-anthropic-standalone.jar --proxy [options]

                Runs the creddy-anthropic proxy in an embedded Tomcat: agents get short-lived crd_ tokens
                from POST /v1/tokens and use the Anthropic API through the proxy, which holds the real key.

                Options:
                  --proxy                 run the proxy (the only mode; accepted for compatibility)
                  --addr HOST:PORT        where to listen (default 127.0.0.1:8080; ":8080" = every interface)
                  --api-key KEY           the real Anthropic API key (default: $ANTHROPIC_API_KEY)
                  --upstream URL          the Anthropic API base URL (default: $CREDDY_UPSTREAM_URL or
                                          https://api.anthropic.com)
                  --issuer-key KEY        the bearer key that may issue tokens (default: $CREDDY_ISSUER_KEY)
                  --open-issuance         let anyone issue tokens when no issuer key is set (local experiments only)
                  --max-ttl DURATION      the longest token lifetime, Go syntax (default 24h)
                  --default-ttl DURATION  the lifetime of a token whose request names none (default 1h)
                  --header-timeout DUR    how long to wait for the upstream's response headers (default 10m)
                  --idle-timeout DUR      how long a response may be silent between chunks (default 10m)
                  --max-connections N     the upstream connection pool's size (default 1024)
                  --max-request-body SIZE the largest request body forwarded (default 32MB)
                  --shutdown-grace DUR    how long a stop waits for streams in flight (default 30s)
                  --token-store KIND      memory (default) or redis (the default when a Redis URL is set)
                  --redis-url URL         share tokens with other instances through Redis, e.g.
                                          redis://host:6379/0 or rediss:// for TLS (default: $CREDDY_REDIS_URL;
                                          the password goes in $CREDDY_REDIS_PASSWORD, not on the command line);
                                          redis-sentinel://h1:26379,h2:26379/0#mymaster for Sentinel
                  --redis-command-timeout DUR  the longest a request waits for Redis (default 2s)
                  --redis-cache-ttl DUR   how long a cached validation is trusted (default 1s; 0: no cache)
                  --redis-username USER   the Redis ACL user (or redis://USER@host with the password apart)
                  --redis-password-file F a file holding the Redis password, read again at every reconnect
                  --redis-key-prefix P    what every key starts with (default creddy:)
                  --redis-cluster on|off  redis-url names Redis Cluster seed nodes (default off)
                  --redis-tls-ca FILE     PEM CA that signs the Redis server's certificate (rediss:// only;
                                          the JVM's default trust is left to the upstream)
                  --redis-tls-cert FILE   client certificate (PEM, or .p12 holding certificate and key)
                  --redis-tls-key FILE    the client certificate's PKCS#8 PEM key (password:
                                          $CREDDY_REDIS_TLS_KEY_PASSWORD)
                  --redis-tls-verify-hostname true|false
                                          whether the certificate must name the host (default true)
                  --max-upload-body SIZE  the largest Files API upload or batch creation body (default 500MB)
                  --public-url URL        the URL agents reach the proxy at, for batch results links
                                          (default: the URL of each request)
                  --trust-forwarded-headers
                                          believe a front proxy's Forwarded / X-Forwarded-* headers
                  --oidc-issuer URLS      trust agents' identity tokens (JWTs) from these issuers (a Creddy
                                          server or any OpenID Connect provider), comma separated
                  --oidc-audience AUD     the audience those tokens must carry (required with --oidc-issuer)
                  --oidc-required-scope S the scope they must grant (default anthropic; anthropic:* also counts)
                  --oidc-agent-claim C    the claim naming the agent (default agent_name, then sub)
                  --oidc-scopes-claim C   the claim listing scopes (default scopes, then scope)
                  --oidc-clock-skew DUR   tolerated clock difference for exp/nbf/iat (default 60s)
                  --oidc-jwks-refresh DUR how often the issuers' keys are fetched again (default 1h)
                  --oidc-direct-use       accept identity tokens in place of crd_ tokens when forwarding
                  --default-limits JSON   limits for tokens whose request leaves them out, e.g.
                                          '{"rpm":60,"tpm":100000,"models":["claude-sonnet-4"]}'
                  --usage-metering on|off read token usage from responses (default on)
                  --context-path PATH     serve under PATH instead of the root, e.g. /creddy
                  --help                  print this help
                """;
    }

    static LaunchOptions parse(String[] args) {
        ListenAddress address = ListenAddress.parse(DEFAULT_ADDRESS);
        String contextPath = "";
        Map<String, String> settings = new LinkedHashMap<>();
        boolean help = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("-") || arg.equals("-") || arg.equals("--")) {
                // Not repeated: a stray argument is often a secret that lost its flag.
                throw new IllegalArgumentException("unexpected argument at position " + (i + 1) + ": every option starts with --");
            }
            String flag = arg.startsWith("--") ? arg.substring(2) : arg.substring(1);
            String value = null;
            int equals = flag.indexOf('=');
            if (equals >= 0) {
                value = flag.substring(equals + 1);
                flag = flag.substring(0, equals);
            }
            switch (flag) {
                case "help", "h" -> help = true;
                case "proxy" -> requireNoValue(flag, value);
                case "open-issuance" -> settings.put("open-issuance", value == null ? "true" : value);
                case "trust-forwarded-headers" -> settings.put("trust-forwarded-headers", value == null ? "true" : value);
                case "oidc-direct-use" -> settings.put("oidc-direct-use", value == null ? "true" : value);
                case "addr" -> address = ListenAddress.parse(value != null ? value : next(args, ++i, flag));
                case "context-path" -> contextPath = contextPath(value != null ? value : next(args, ++i, flag));
                default -> {
                    String setting = SETTING_FLAGS.get(flag);
                    if (setting == null) {
                        // Only the flag's name: its value may be a key.
                        throw new IllegalArgumentException("unknown flag --" + flag);
                    }
                    settings.put(setting, value != null ? value : next(args, ++i, flag));
                }
            }
        }
        return new LaunchOptions(address, contextPath, Map.copyOf(settings), help);
    }

    private static String next(String[] args, int index, String flag) {
        if (index >= args.length) {
            throw new IllegalArgumentException("flag --" + flag + " needs a value");
        }
        return args[index];
    }

    private static void requireNoValue(String flag, String value) {
        if (value != null) {
            throw new IllegalArgumentException("flag --" + flag + " takes no value");
        }
    }

    private static String contextPath(String path) {
        if (path.isEmpty() || path.equals("/")) {
            return "";
        }
        if (!path.startsWith("/") || path.endsWith("/")) {
            throw new IllegalArgumentException("--context-path must start with / and not end with one, e.g. /creddy");
        }
        return path;
    }

    @Override
    public String toString() {
        // Never print the settings: they may hold the real key.
        return "LaunchOptions[address=" + address + ", contextPath=" + contextPath + ", settings=" + settings.keySet() + "]";
    }
}
