package dev.creddy.anthropic.web;

import jakarta.servlet.http.HttpServletRequest;
import java.util.Enumeration;
import java.util.Optional;

/**
 * Reads the one credential a request carries, from {@code x-api-key} or {@code Authorization: Bearer}.
 * SDKs send either (current ones send even an API key as a bearer token) and some tools send both
 * with the same value; two different values, or an {@code Authorization} that is not a bearer
 * credential, are refused rather than guessed at. Stateless.
 */
final class CredentialHeaders {

    /**
     * What was found: one credential, none, or a malformed set of headers.
     *
     * @param reason for metrics and the audit trail: {@code malformed} or {@code conflicting}, with a problem
     */
    record Found(Optional<String> credential, String problem, String reason) {
    }

    private static final String BEARER = "bearer";

    private CredentialHeaders() {
    }

    static Found read(HttpServletRequest request) {
        // Runs on every request: one pass over each header, no collections (the values are one or two).
        String first = null;
        boolean conflicting = false;
        for (Enumeration<String> keys = request.getHeaders("x-api-key"); keys.hasMoreElements(); ) {
            String value = keys.nextElement().strip();
            if (first == null) {
                first = value;
            } else {
                conflicting |= !first.equals(value);
            }
        }
        for (Enumeration<String> authorizations = request.getHeaders("authorization"); authorizations.hasMoreElements(); ) {
            String trimmed = authorizations.nextElement().strip();
            int space = trimmed.indexOf(' ');
            if (space != BEARER.length() || !trimmed.regionMatches(true, 0, BEARER, 0, space)) {
                return new Found(Optional.empty(), "malformed Authorization header: use Authorization: Bearer <token>",
                        "malformed");
            }
            String value = trimmed.substring(space + 1).strip();
            if (first == null) {
                first = value;
            } else {
                conflicting |= !first.equals(value);
            }
        }
        if (conflicting) {
            return new Found(Optional.empty(), "conflicting credentials: x-api-key and Authorization carry different values",
                    "conflicting");
        }
        return new Found(first == null || first.isEmpty() ? Optional.empty() : Optional.of(first), null, null);
    }
}
