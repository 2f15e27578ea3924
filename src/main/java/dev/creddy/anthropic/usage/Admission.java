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

    /** The name of the lifetime budget, as {@link #refusedBy} and token requests call it; it never resets. */
    public static final String MAX_TOKENS_TOTAL = "max_tokens_total";
    /** The name of the per-minute token limit. */
    public static final String TPM = "tpm";
    /** The name of the per-minute request limit. */
    public static final String RPM = "rpm";

    public Admission {
        Objects.requireNonNull(refusedBy, "refusedBy");
        Objects.requireNonNull(windowResetsAt, "windowResetsAt");
    }

    public boolean admitted() {
        return refusedBy.isEmpty();
    }
}
