package dev.creddy.anthropic.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * How to reach the Redis that holds the tokens of every instance. Immutable; {@link #toString()}
 * hides any password, in the URL's user info or in {@code password}.
 *
 * @param url {@code redis://} or {@code rediss://} (TLS), host, optional port and database number;
 *            user info, if any, carries an ACL user and password
 * @param password the password, when it is not in the URL (this one wins)
 * @param commandTimeout the longest a request waits for Redis before it is refused with 503
 * @param cacheTtl how long an instance may trust a validation it has cached; zero turns the cache off.
 *                 It bounds how late a revocation can take effect on an instance that missed its message.
 */
public record RedisSettings(URI url, Optional<Secret> password, Duration commandTimeout, Duration cacheTtl) {

    public RedisSettings {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(password, "password");
        Objects.requireNonNull(commandTimeout, "commandTimeout");
        Objects.requireNonNull(cacheTtl, "cacheTtl");
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
        if (!scheme.equals("redis") && !scheme.equals("rediss")) {
            throw new IllegalArgumentException("must be a redis:// or rediss:// (TLS) URL, e.g. redis://host:6379/0");
        }
        if (uri.getHost() == null) {
            throw new IllegalArgumentException("must name a host, e.g. redis://host:6379/0");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException("must not carry a query or a fragment: set redis-password and "
                    + "redis-command-timeout as settings of their own");
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        if (!path.isEmpty() && !path.equals("/") && !path.matches("/\\d{1,5}")) {
            throw new IllegalArgumentException("the path may only name a database number, e.g. redis://host:6379/2");
        }
        return uri;
    }

    /** The URL with any user info replaced by {@code ****}, for logs and messages. */
    public String maskedUrl() {
        String shown = url.getScheme() + "://" + (url.getRawUserInfo() == null ? "" : "****@") + url.getHost()
                + (url.getPort() < 0 ? "" : ":" + url.getPort());
        return url.getRawPath() == null ? shown : shown + url.getRawPath();
    }

    @Override
    public String toString() {
        return "RedisSettings[url=" + maskedUrl() + ", password=" + password.map(Secret::toString).orElse("none")
                + ", commandTimeout=" + GoDuration.format(commandTimeout) + ", cacheTtl=" + GoDuration.format(cacheTtl) + "]";
    }
}
