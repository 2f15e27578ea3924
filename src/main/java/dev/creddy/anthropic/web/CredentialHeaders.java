package dev.creddy.anthropic.web;

import jakarta.servlet.http.HttpServletRequest;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

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

    private CredentialHeaders() {
    }

    static Found read(HttpServletRequest request) {
        Set<String> values = new LinkedHashSet<>();
        for (String value : Collections.list(request.getHeaders("x-api-key"))) {
            values.add(value.strip());
        }
        for (String authorization : Collections.list(request.getHeaders("authorization"))) {
            String trimmed = authorization.strip();
            int space = trimmed.indexOf(' ');
            if (space < 0 || !trimmed.substring(0, space).toLowerCase(Locale.ROOT).equals("bearer")) {
                return new Found(Optional.empty(), "malformed Authorization header: use Authorization: Bearer <token>",
                        "malformed");
            }
            values.add(trimmed.substring(space + 1).strip());
        }
        if (values.size() > 1) {
            return new Found(Optional.empty(), "conflicting credentials: x-api-key and Authorization carry different values",
                    "conflicting");
        }
        return new Found(values.stream().filter(v -> !v.isEmpty()).findFirst(), null, null);
    }
}
