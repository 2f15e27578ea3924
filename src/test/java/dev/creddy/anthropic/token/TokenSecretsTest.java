package dev.creddy.anthropic.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.util.Random;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class TokenSecretsTest {

    /** The shape as it was written before, as a regular expression: the loop must agree with it. */
    private static final Pattern SHAPE = Pattern.compile("crd_[A-Za-z0-9_-]{43}");
    private static final String BODY = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_Q";

    @Test
    void newSecretsAreWellFormed() {
        TokenSecrets secrets = new TokenSecrets(new SecureRandom());
        for (int i = 0; i < 1000; i++) {
            assertTrue(TokenSecrets.isWellFormed(secrets.newSecret()));
        }
    }

    static Stream<String> wellFormedCandidates() {
        return Stream.of("crd_" + BODY, "crd_" + "A".repeat(43), "crd_" + "-".repeat(43), "crd_" + "_".repeat(43),
                "crd_" + "z".repeat(42) + "9");
    }

    static Stream<String> malformedCandidates() {
        return Stream.of("", "crd_", "crd_" + "A".repeat(42), "crd_" + "A".repeat(44), "CRD_" + BODY, "crx_" + BODY,
                "xcrd" + BODY, "crd_" + "A".repeat(42) + "=", "crd_" + "A".repeat(42) + "+", "crd_" + "A".repeat(42) + "/",
                "crd_" + "A".repeat(42) + " ", "crd_" + "A".repeat(42) + "é", "crd_" + "A".repeat(42) + "\u0661",
                "crd_" + "A".repeat(42) + "\n", "sk-ant-api03-" + "A".repeat(34), "crd_" + "A".repeat(21) + "." + "A".repeat(21));
    }

    @ParameterizedTest
    @MethodSource("wellFormedCandidates")
    void wellFormed(String candidate) {
        assertTrue(TokenSecrets.isWellFormed(candidate));
    }

    @ParameterizedTest
    @MethodSource("malformedCandidates")
    void malformed(String candidate) {
        assertFalse(TokenSecrets.isWellFormed(candidate));
    }

    @Test
    void nullIsMalformed() {
        assertFalse(TokenSecrets.isWellFormed(null));
    }

    @Test
    void agreesWithTheRegularExpressionOnRandomCandidates() {
        Random random = new Random(14);
        String alphabet = "crd_ABCXYZabcxyz0189-_+/=. \u00e9\u0661\u212a";
        for (int i = 0; i < 200_000; i++) {
            StringBuilder candidate = new StringBuilder(random.nextBoolean() ? "crd_" : "");
            int length = 40 + random.nextInt(8);
            while (candidate.length() < length) {
                candidate.append(random.nextInt(50) == 0 ? alphabet.charAt(random.nextInt(alphabet.length()))
                        : BODY.charAt(random.nextInt(BODY.length())));
            }
            String text = candidate.toString();
            assertEquals(SHAPE.matcher(text).matches(), TokenSecrets.isWellFormed(text), text);
        }
    }
}
