package dev.creddy.anthropic.config;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * TLS for the connections to Redis alone: whom to trust and what to present, never the JVM's
 * default trust store (which the Anthropic upstream keeps). Immutable; {@link #toString()} hides the
 * key password.
 *
 * @param ca PEM file of the certificates that may sign the server's; empty: the JDK's default roots
 * @param certificate the client certificate (PEM chain, or a PKCS#12 file holding certificate and key)
 * @param key the client's private key (PKCS#8 PEM) when {@code certificate} is PEM; empty for PKCS#12
 * @param keyPassword the password of the key or of the PKCS#12 file, if any
 * @param verifyHostname whether the server's certificate must name the host (or else only chain to the CA)
 */
public record RedisTls(Optional<Path> ca, Optional<Path> certificate, Optional<Path> key, Optional<Secret> keyPassword,
        boolean verifyHostname) {

    public static final RedisTls DEFAULT = new RedisTls(Optional.empty(), Optional.empty(), Optional.empty(),
            Optional.empty(), true);

    public RedisTls {
        Objects.requireNonNull(ca, "ca");
        Objects.requireNonNull(certificate, "certificate");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(keyPassword, "keyPassword");
    }

    /** Whether the client certificate is a PKCS#12 file (by its name), rather than PEM. */
    public boolean pkcs12() {
        return certificate.map(path -> {
            String name = path.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
            return name.endsWith(".p12") || name.endsWith(".pfx");
        }).orElse(false);
    }

    @Override
    public String toString() {
        return "RedisTls[ca=" + ca.map(Path::toString).orElse("default") + ", certificate="
                + certificate.map(Path::toString).orElse("none") + ", key=" + key.map(Path::toString).orElse("none")
                + ", keyPassword=" + keyPassword.map(Secret::toString).orElse("none") + ", verifyHostname=" + verifyHostname + "]";
    }
}
