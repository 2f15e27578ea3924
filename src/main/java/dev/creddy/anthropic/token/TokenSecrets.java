package dev.creddy.anthropic.token;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Makes token secrets and ids, and the digests under which stores keep tokens.
 *
 * <p>A secret is {@code crd_} followed by 256 random bits in URL-safe base64 (43 characters). Stores
 * key records by {@link #digest}, so the secret itself is never kept. Thread-safe.
 */
public final class TokenSecrets {

    /** The prefix every token carries, so scanners and humans can tell one apart from a real key. */
    public static final String PREFIX = "crd_";

    private static final int SECRET_BYTES = 32;
    private static final int ID_BYTES = 12;
    /** Characters of the random part: 256 bits in URL-safe base64 without padding. */
    private static final int SECRET_CHARS = 43;
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();

    private final SecureRandom random;

    public TokenSecrets(SecureRandom random) {
        this.random = random;
    }

    public TokenSecrets() {
        this(new SecureRandom());
    }

    /** A new random secret. */
    public String newSecret() {
        return PREFIX + BASE64URL.encodeToString(randomBytes(SECRET_BYTES));
    }

    /** A new random, non-secret id. */
    public TokenId newId() {
        return new TokenId("tok_" + BASE64URL.encodeToString(randomBytes(ID_BYTES)));
    }

    /**
     * The id of a credential the proxy accepts without storing it (an identity token used directly):
     * derived from its SHA-256, so the same credential always has the same id and the id reveals nothing.
     */
    public static TokenId idOf(String credential) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(credential.getBytes(StandardCharsets.UTF_8));
            return new TokenId("tok_" + BASE64URL.encodeToString(java.util.Arrays.copyOf(hash, ID_BYTES)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /**
     * Whether {@code candidate} has the shape of a token ({@code crd_} and 43 characters of the URL-safe
     * base64 alphabet); anything else is rejected without a lookup.
     *
     * <p>A hand-written loop over the alphabet rather than a regular expression: it runs on every
     * forwarded request (twice: the authenticator and the store), and a {@code Matcher} per call
     * (allocation, backtracking machinery) was 4 to 9% of the proxy's CPU samples under load (issue 14,
     * bench/README). The shape is simple enough that the loop says it as plainly.
     */
    public static boolean isWellFormed(String candidate) {
        if (candidate == null || candidate.length() != PREFIX.length() + SECRET_CHARS || !candidate.startsWith(PREFIX)) {
            return false;
        }
        for (int i = PREFIX.length(); i < candidate.length(); i++) {
            if (!isBase64Url(candidate.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static boolean isBase64Url(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    }

    /** The hex SHA-256 of a secret: the only form in which stores keep it. */
    public static String digest(String secret) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    private byte[] randomBytes(int count) {
        byte[] bytes = new byte[count];
        random.nextBytes(bytes);
        return bytes;
    }
}
