package dev.creddy.anthropic.usage;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The answer to "may this token send one more request now?", with the counters it was judged on,
 * for the client's rate-limit headers. Immutable.
 *
 * @param refusedBy the limit that refused the request ({@code rpm}, {@code tpm} or
 *     {@code max_tokens_total}), or empty when it was admitted (and counted)
 * @param requestsInWindow requests counted in the current window, this one included when admitted
 * @param tokensInWindow tokens counted in the current window
 * @param tokensTotal tokens counted over the token's life
 * @param windowResetsAt when the current window ends and its counters start again from zero
 */
public record Admission(Optional<String> refusedBy, long requestsInWindow, long tokensInWindow, long tokensTotal,
        Instant windowResetsAt) {

    public Admission {
        Objects.requireNonNull(refusedBy, "refusedBy");
        Objects.requireNonNull(windowResetsAt, "windowResetsAt");
    }

    public boolean admitted() {
        return refusedBy.isEmpty();
    }
}
