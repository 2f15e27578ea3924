package dev.creddy.anthropic.token;

import java.util.Objects;

/**
 * A freshly issued token: its record plus the secret, which exists only in this value and in the
 * response that hands it to the issuer. Immutable; {@link #toString()} masks the secret.
 */
public record IssuedToken(TokenRecord record, String secret) {

    public IssuedToken {
        Objects.requireNonNull(record, "record");
        Objects.requireNonNull(secret, "secret");
    }

    @Override
    public String toString() {
        return "IssuedToken[record=" + record + ", secret=crd_****]";
    }
}
