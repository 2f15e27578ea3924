package dev.creddy.anthropic.token;

import java.util.Objects;
import java.util.regex.Pattern;

/** The non-secret name of a token, shown in listings and logs and used to revoke it. Immutable. */
public record TokenId(String value) {

    private static final Pattern SHAPE = Pattern.compile("tok_[A-Za-z0-9_-]{16}");

    public TokenId {
        Objects.requireNonNull(value, "value");
        if (!SHAPE.matcher(value).matches()) {
            throw new IllegalArgumentException("not a token id");
        }
    }

    /** Whether {@code text} has the shape of a token id. */
    public static boolean isWellFormed(String text) {
        return text != null && SHAPE.matcher(text).matches();
    }

    @Override
    public String toString() {
        return value;
    }
}
