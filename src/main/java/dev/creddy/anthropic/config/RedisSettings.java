package dev.creddy.anthropic.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * How to reach the Redis that holds the tokens of every instance. Immutable; {@link #toString()}
 * hides any password, in the URL's user info or in {@code password}.
 *
 * @param url {@code redis://} or {@code rediss://} (TLS) with a host, optional port and database
 *            number; {@code redis-sentinel://} or {@code rediss-sentinel://} with one or more Sentinels
 *            ({@code host1:26379,host2:26379}), an optional database and the master's name as the
 *            fragment ({@code #mymaster}); with {@code cluster}, one or more seed nodes
 *            ({@code redis://host1:7000,host2:7001}). User info, if any, carries an ACL user and
 *            password, or the user alone ({@code redis://creddy@host}) with the password set apart
 * @param password the password, when it is not in the URL (this one wins)
 * @param commandTimeout the longest a request waits for Redis before it is refused with 503
 * @param cacheTtl how long an instance may trust a validation it has cached; zero turns the cache off.
 *                 It bounds how late a revocation can take effect on an instance that missed its message.
 * @param username the ACL user, when it is not in the URL (this one wins)
 * @param passwordFile a file whose content (trimmed) is the password, read again on every new
 *                 connection so that a rotated password is taken up without a restart; wins over both
 * @param keyPrefix what every key and the revocation channel start with ({@code creddy:})
 * @param cluster whether {@code url} names Redis Cluster seed nodes
 * @param tls how to verify the server and what to present to it, for {@code rediss://} alone
 * @param revokeWait how many replicas a revocation waits for, if any
 */
public record RedisSettings(URI url, Optional<Secret> password, Duration commandTimeout, Duration cacheTtl,
        Optional<String> username, Optional<Path> passwordFile, String keyPrefix, boolean cluster, RedisTls tls,
        RevokeWait revokeWait) {

    /** The default key prefix: what every version before {@code redis-key-prefix} used. */
    public static final String DEFAULT_KEY_PREFIX = "creddy:";

    public RedisSettings {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(password, "password");
        Objects.requireNonNull(commandTimeout, "commandTimeout");
        Objects.requireNonNull(cacheTtl, "cacheTtl");
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(passwordFile, "passwordFile");
        Objects.requireNonNull(keyPrefix, "keyPrefix");
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(revokeWait, "revokeWait");
    }

    /** Settings whose revocations do not wait for replicas. */
    public RedisSettings(URI url, Optional<Secret> password, Duration commandTimeout, Duration cacheTtl,
            Optional<String> username, Optional<Path> passwordFile, String keyPrefix, boolean cluster, RedisTls tls) {
        this(url, password, commandTimeout, cacheTtl, username, passwordFile, keyPrefix, cluster, tls, RevokeWait.OFF);
    }

    /** A plain single-node Redis with the default prefix, no ACL user and the JVM-independent default TLS. */
    public RedisSettings(URI url, Optional<Secret> password, Duration commandTimeout, Duration cacheTtl) {
        this(url, password, commandTimeout, cacheTtl, Optional.empty(), Optional.empty(), DEFAULT_KEY_PREFIX, false,
                RedisTls.DEFAULT);
    }

    /** The same settings with another key prefix; for tests and for deployments that share one Redis. */
    public RedisSettings withKeyPrefix(String prefix) {
        return new RedisSettings(url, password, commandTimeout, cacheTtl, username, passwordFile, prefix, cluster, tls, revokeWait);
    }

    /** Whether the URL names Sentinels rather than Redis itself. */
    public boolean sentinel() {
        return url.getScheme().toLowerCase(Locale.ROOT).endsWith("-sentinel");
    }

    /** Whether the connection uses TLS ({@code rediss://} or {@code rediss-sentinel://}). */
    public boolean ssl() {
        return url.getScheme().toLowerCase(Locale.ROOT).startsWith("rediss");
    }

    /** The hosts and ports the URL names, in order: one for a single Redis, several for Sentinels or seeds. */
    public List<HostAndPort> hosts() {
        return hostsOf(url);
    }

    /** The user info's user, or empty; never the password. */
    public Optional<String> urlUsername() {
        String userInfo = userInfo();
        if (userInfo == null || userInfo.isEmpty()) {
            return Optional.empty();
        }
        int colon = userInfo.indexOf(':');
        String user = colon < 0 ? userInfo : userInfo.substring(0, colon);
        return user.isEmpty() ? Optional.empty() : Optional.of(user);
    }

    /** The user info's password, or empty: {@code redis://creddy@host} carries a user and no password. */
    public Optional<Secret> urlPassword() {
        String userInfo = userInfo();
        if (userInfo == null) {
            return Optional.empty();
        }
        int colon = userInfo.indexOf(':');
        return colon < 0 || colon == userInfo.length() - 1 ? Optional.empty() : Optional.of(Secret.of(userInfo.substring(colon + 1)));
    }

    /** The decoded user info, also of a URL with several hosts (which java.net.URI does not split). */
    private String userInfo() {
        String authority = url.getRawAuthority();
        int at = authority == null ? -1 : authority.lastIndexOf('@');
        return at < 0 ? null : java.net.URLDecoder.decode(authority.substring(0, at).replace("+", "%2B"),
                java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The database number in the path, 0 without one. */
    public int database() {
        String path = url.getRawPath() == null ? "" : url.getRawPath();
        return path.length() > 1 ? Integer.parseInt(path.substring(1)) : 0;
    }

    /** The Sentinel master's name (the fragment), for a Sentinel URL. */
    public Optional<String> sentinelMaster() {
        return Optional.ofNullable(url.getFragment()).filter(name -> !name.isEmpty());
    }

    /** One host and port of the URL. */
    public record HostAndPort(String host, int port) {
    }

    /**
     * Checks a Redis URL. Messages never quote it, since its user info may hold a password.
     *
     * @throws IllegalArgumentException saying what is wrong
     */
    static URI parseUrl(String raw) {
        URI uri;
        try {
            uri = new URI(raw);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a URL (" + e.getReason() + "): use redis://host:6379/0");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        boolean sentinel = scheme.equals("redis-sentinel") || scheme.equals("rediss-sentinel");
        if (!scheme.equals("redis") && !scheme.equals("rediss") && !sentinel) {
            throw new IllegalArgumentException("must be a redis:// or rediss:// (TLS) URL, e.g. redis://host:6379/0, or "
                    + "redis-sentinel://host1:26379,host2:26379/0#mymaster");
        }
        hostsOf(uri);
        if (uri.getRawQuery() != null) {
            throw new IllegalArgumentException("must not carry a query: set redis-password and redis-command-timeout "
                    + "as settings of their own");
        }
        if (sentinel && (uri.getFragment() == null || uri.getFragment().isEmpty())) {
            throw new IllegalArgumentException("a Sentinel URL names the master after #, e.g. "
                    + "redis-sentinel://host1:26379,host2:26379/0#mymaster");
        }
        if (!sentinel && uri.getRawFragment() != null) {
            throw new IllegalArgumentException("must not carry a fragment: only a Sentinel URL names a master after #");
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        if (!path.isEmpty() && !path.equals("/") && !path.matches("/\\d{1,5}")) {
            throw new IllegalArgumentException("the path may only name a database number, e.g. redis://host:6379/2");
        }
        return uri;
    }

    /** The authority's hosts: {@code [user@]host[:port][,host[:port]]…}. */
    private static List<HostAndPort> hostsOf(URI uri) {
        String authority = uri.getRawAuthority();
        if (authority == null || authority.isEmpty()) {
            throw new IllegalArgumentException("must name a host, e.g. redis://host:6379/0");
        }
        int at = authority.lastIndexOf('@');
        String hostList = at < 0 ? authority : authority.substring(at + 1);
        boolean sentinel = uri.getScheme().toLowerCase(Locale.ROOT).endsWith("-sentinel");
        int defaultPort = sentinel ? 26379 : 6379;
        List<HostAndPort> hosts = new ArrayList<>();
        for (String part : hostList.split(",", -1)) {
            String host = part;
            int port = defaultPort;
            int colon = part.lastIndexOf(':');
            if (colon >= 0 && !part.endsWith("]")) {
                host = part.substring(0, colon);
                try {
                    port = Integer.parseInt(part.substring(colon + 1));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("a port must be a number, e.g. redis://host:6379/0");
                }
                if (port < 1 || port > 65_535) {
                    throw new IllegalArgumentException("a port must be between 1 and 65535");
                }
            }
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            if (host.isEmpty() || !host.matches("[A-Za-z0-9._:-]+")) {
                throw new IllegalArgumentException("must name a host, e.g. redis://host:6379/0");
            }
            hosts.add(new HostAndPort(host, port));
        }
        return List.copyOf(hosts);
    }

    /** The URL with any user info replaced by {@code ****}, for logs and messages. */
    public String maskedUrl() {
        StringBuilder shown = new StringBuilder(url.getScheme()).append("://");
        if (userInfo() != null) {
            shown.append("****@");
        }
        List<HostAndPort> hosts = hosts();
        boolean showPort = url.getHost() == null || url.getPort() >= 0;
        for (int i = 0; i < hosts.size(); i++) {
            HostAndPort host = hosts.get(i);
            shown.append(i == 0 ? "" : ",").append(host.host().contains(":") ? "[" + host.host() + "]" : host.host());
            if (showPort) {
                shown.append(':').append(host.port());
            }
        }
        if (url.getRawPath() != null) {
            shown.append(url.getRawPath());
        }
        sentinelMaster().ifPresent(master -> shown.append('#').append(master));
        return shown.toString();
    }

    @Override
    public String toString() {
        return "RedisSettings[url=" + maskedUrl() + ", password=" + password.map(Secret::toString).orElse("none")
                + ", commandTimeout=" + GoDuration.format(commandTimeout) + ", cacheTtl=" + GoDuration.format(cacheTtl)
                + ", username=" + username.orElse("none") + ", passwordFile=" + passwordFile.map(Path::toString).orElse("none")
                + ", keyPrefix=" + keyPrefix + ", cluster=" + cluster + ", tls=" + tls + "]";
    }
}
