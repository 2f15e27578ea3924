package dev.creddy.anthropic.token;

import dev.creddy.anthropic.config.RedisSettings;
import dev.creddy.anthropic.config.RedisTls;
import dev.creddy.anthropic.config.Secret;
import io.lettuce.core.RedisCredentials;
import io.lettuce.core.RedisCredentialsProvider;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SslOptions;
import io.lettuce.core.SslVerifyMode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Turns {@link RedisSettings} into what Lettuce connects with: the URI (or a Cluster's seeds), the
 * credentials and the TLS options. Written by hand rather than with {@code RedisURI.create}, which
 * reads the user alone of {@code redis://creddy@host} as a password.
 *
 * <p>Credentials are resolved on every new connection (Lettuce asks the provider at each handshake):
 * with {@code redis-password-file}, the file is read again each time, so a rotated password is
 * picked up at the next reconnect without a restart. TLS trusts only {@code redis-tls-ca} when it
 * is set, and presents the client certificate, through Lettuce's {@link SslOptions} for these
 * connections alone: the JVM's default trust, which the Anthropic upstream uses, is never changed.
 *
 * <p>Immutable and thread-safe.
 */
final class RedisConnectionSetup {

    private final RedisSettings settings;
    private final String clientName;

    RedisConnectionSetup(RedisSettings settings, String clientName) {
        this.settings = settings;
        this.clientName = clientName;
    }

    /** A name unique per instance (host and process), as Redis shows it in {@code CLIENT LIST}. */
    static String clientName() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "unknown";
        }
        String name = "creddy-anthropic-" + host + "-" + ProcessHandle.current().pid();
        return name.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    /** The URI of a single Redis, or of the Sentinels and the master they watch. */
    RedisURI uri() {
        List<RedisSettings.HostAndPort> hosts = settings.hosts();
        RedisURI.Builder builder;
        if (settings.sentinel()) {
            RedisSettings.HostAndPort first = hosts.get(0);
            builder = RedisURI.Builder.sentinel(first.host(), first.port(), settings.sentinelMaster().orElseThrow());
            for (RedisSettings.HostAndPort more : hosts.subList(1, hosts.size())) {
                builder.withSentinel(more.host(), more.port());
            }
        } else {
            if (hosts.size() != 1) {
                throw new IllegalArgumentException("redis-url names several hosts: that is a Sentinel URL "
                        + "(redis-sentinel://…#master) or a Cluster (redis-cluster=on)");
            }
            builder = RedisURI.Builder.redis(hosts.get(0).host(), hosts.get(0).port());
        }
        return finish(builder);
    }

    /** One URI per seed node of a Cluster. */
    List<RedisURI> seeds() {
        return settings.hosts().stream().map(host -> finish(RedisURI.Builder.redis(host.host(), host.port()))).toList();
    }

    private RedisURI finish(RedisURI.Builder builder) {
        builder.withDatabase(settings.database())
                .withTimeout(settings.commandTimeout())
                .withClientName(clientName)
                .withSsl(settings.ssl())
                .withVerifyPeer(settings.tls().verifyHostname() ? SslVerifyMode.FULL : SslVerifyMode.CA);
        if (username().isPresent() || hasPassword()) {
            builder.withAuthentication(RedisCredentialsProvider.from(this::credentials));
        }
        return builder.build();
    }

    private Optional<String> username() {
        return settings.username().or(settings::urlUsername);
    }

    private boolean hasPassword() {
        return settings.passwordFile().isPresent() || settings.password().isPresent() || settings.urlPassword().isPresent();
    }

    /** Read at every handshake: a password file that was rotated is read anew. */
    private RedisCredentials credentials() {
        Optional<char[]> password;
        if (settings.passwordFile().isPresent()) {
            password = Optional.of(readPasswordFile(settings.passwordFile().get()));
        } else {
            password = settings.password().or(settings::urlPassword).map(Secret::reveal).map(String::toCharArray);
        }
        return RedisCredentials.just(username().orElse(null), password.orElse(null));
    }

    private static char[] readPasswordFile(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8).strip().toCharArray();
        } catch (IOException e) {
            // The message names the file, never its content.
            throw new UncheckedIOException("redis-password-file cannot be read (" + e.getClass().getSimpleName() + ")", e);
        }
    }

    /** TLS for Redis alone: the private CA when given, the client certificate when given. */
    SslOptions sslOptions() {
        RedisTls tls = settings.tls();
        SslOptions.Builder builder = SslOptions.builder().jdkSslProvider();
        tls.ca().ifPresent(ca -> builder.trustManager(ca.toFile()));
        char[] keyPassword = tls.keyPassword().map(Secret::reveal).map(String::toCharArray).orElse(null);
        if (tls.certificate().isPresent()) {
            if (tls.pkcs12()) {
                builder.keyStoreType("PKCS12").keystore(tls.certificate().get().toFile(),
                        keyPassword == null ? new char[0] : keyPassword);
            } else {
                builder.keyManager(tls.certificate().get().toFile(), tls.key().orElseThrow().toFile(), keyPassword);
            }
        }
        return builder.build();
    }
}
