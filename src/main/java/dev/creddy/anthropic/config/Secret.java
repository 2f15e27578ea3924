package dev.creddy.anthropic.config;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;

/**
 * A configured secret: the real Anthropic key, the issuer key, the metrics key, the Redis password.
 *
 * <p>Immutable and thread-safe. {@link #toString()} never shows the value, so a secret can sit in
 * settings that are logged or printed. {@link #matches} compares digests in constant time, so
 * neither the value nor its length leaks through timing.
 */
public final class Secret {

    private final String value;
    private final byte[] digest;

    private Secret(String value) {
        this.value = value;
        this.digest = sha256(value);
    }

    /** Wraps a non-blank secret value that is not an unresolved placeholder ({@link Placeholders}). */
    public static Secret of(String value) {
        Objects.requireNonNull(value, "value");
        if (value.isBlank()) {
            throw new IllegalArgumentException("a secret cannot be blank");
        }
        if (Placeholders.isUnresolved(value)) {
            // A server's ${NAME} left as is: public text from the repository, never a secret.
            throw new IllegalArgumentException("a secret cannot be an unresolved placeholder");
        }
        return new Secret(value);
    }

    /** The value itself, for the one place that must send it (the upstream request). */
    public String reveal() {
        return value;
    }

    /** Whether {@code candidate} equals this secret, in time independent of where they differ. */
    public boolean matches(String candidate) {
        return candidate != null && MessageDigest.isEqual(digest, sha256(candidate));
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Secret that && MessageDigest.isEqual(digest, that.digest);
    }

    @Override
    public int hashCode() {
        return digest[0] << 24 | (digest[1] & 0xff) << 16 | (digest[2] & 0xff) << 8 | (digest[3] & 0xff);
    }

    @Override
    public String toString() {
        return "****";
    }
}
