package dev.creddy.anthropic.web;

import dev.creddy.anthropic.token.TokenId;
import dev.creddy.anthropic.usage.UsageLedger.ReportKey;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The {@code next} of a {@code GET /v1/usage} page, which the caller passes back as {@code after}:
 * the position of the last line read, agent name and token id, as unpadded base64url of their UTF-8
 * (opaque to callers, and safe in a query string whatever the agent's name holds). Stateless.
 */
final class UsageCursor {

    /** Agent names hold no control characters, so this cannot occur in one. */
    private static final char SEPARATOR = '\u0001';
    private static final String MALFORMED = "after must be the next value of the previous page of /v1/usage, as it was given";

    private UsageCursor() {
    }

    static String encode(ReportKey key) {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString((key.agentName() + SEPARATOR + key.tokenId()).getBytes(StandardCharsets.UTF_8));
    }

    /** @throws IllegalArgumentException saying what {@code after} must be */
    static ReportKey decode(String text) {
        String decoded;
        try {
            decoded = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(MALFORMED);
        }
        int separator = decoded.lastIndexOf(SEPARATOR);
        if (separator < 1 || !TokenId.isWellFormed(decoded.substring(separator + 1))) {
            throw new IllegalArgumentException(MALFORMED);
        }
        return new ReportKey(decoded.substring(0, separator), decoded.substring(separator + 1));
    }
}
