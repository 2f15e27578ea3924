package dev.creddy.anthropic.api;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Whether a client should send a request again after one of the proxy's own errors, told the way
 * the official SDKs and Claude Code listen: {@code x-should-retry: true|false} (which overrides their
 * status-based rules) and, where the proxy knows how long to wait, {@code retry-after} in seconds.
 *
 * <p>Without the header an SDK retries any 5xx, 408, 409 and 429, and Claude Code also retries 401s
 * up to ten times with back-off, which looks like a hang; so every error of the proxy states its
 * hint. Immutable.
 *
 * @param shouldRetry whether retrying can help
 * @param delay how long to wait first, when known; only with {@code shouldRetry}
 */
public record RetryHint(boolean shouldRetry, Optional<Duration> delay) {

    private static final RetryHint NEVER = new RetryHint(false, Optional.empty());
    private static final RetryHint BACKOFF = new RetryHint(true, Optional.empty());

    public RetryHint {
        Objects.requireNonNull(delay, "delay");
        if (delay.isPresent() && (!shouldRetry || delay.get().isNegative() || delay.get().isZero())) {
            throw new IllegalArgumentException("a delay belongs to a retry and must be longer than zero");
        }
    }

    /** Retrying cannot help: the request, its credentials or the proxy's configuration must change first. */
    public static RetryHint never() {
        return NEVER;
    }

    /** Retrying may help, after the client's own back-off. */
    public static RetryHint withBackoff() {
        return BACKOFF;
    }

    /** Retrying helps once {@code delay} has passed. */
    public static RetryHint after(Duration delay) {
        return new RetryHint(true, Optional.of(delay));
    }

    /**
     * The hint for the proxy's own errors of a status. Only an upstream that could not be reached or
     * whose connection broke before its answer (502) is worth another try; so are 408, 409 and 429,
     * which the proxy does not produce today. A 504 is not: the proxy already waited the whole
     * {@code upstream-header-timeout}, and each retry would wait as long again. A 503 from the proxy
     * means it is not configured; an outage that passes uses {@link #after} instead.
     */
    public static RetryHint forStatus(int status) {
        return switch (status) {
            case 408, 409, 429, 502 -> BACKOFF;
            default -> NEVER;
        };
    }

    /** The response headers that carry the hint, in the order they are sent. */
    public Map<String, String> headers() {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("x-should-retry", Boolean.toString(shouldRetry));
        // retry-after takes whole seconds (RFC 9110 §10.2.3): round up, so a client never comes back early.
        delay.ifPresent(w -> headers.put("retry-after", Long.toString(w.getSeconds() + (w.getNano() > 0 ? 1 : 0))));
        return headers;
    }
}
