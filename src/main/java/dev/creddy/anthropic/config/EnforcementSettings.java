package dev.creddy.anthropic.config;

import jakarta.json.Json;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.io.StringReader;
import java.math.BigInteger;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * How limits reach exchanges that are already running: the per-agent concurrency caps, the lease
 * that keeps a slot counted in a shared store only while its instance lives, and whether a stream
 * that runs over its token's budget is ended. Immutable.
 *
 * @param agentConcurrency requests each named agent may have in flight at once, across its tokens and instances
 * @param concurrencyLease how long a slot stays counted in Redis without its instance renewing it
 * @param strictBudgets whether a running stream that takes its token over its budget is ended
 *     ({@code budget-enforcement=strict}) rather than allowed to finish
 */
public record EnforcementSettings(Map<String, Long> agentConcurrency, Duration concurrencyLease, boolean strictBudgets) {

    /** The most requests one agent may be allowed to have in flight. */
    static final long MAX_CONCURRENT = 100_000;
    /** The shortest lease: renewals come a third of it apart, and each is a Redis round trip. */
    static final Duration MIN_LEASE = Duration.ofSeconds(1);

    /** No agent caps, 30-second leases, lenient budgets: the defaults. */
    public static final EnforcementSettings DEFAULTS = new EnforcementSettings(Map.of(), Duration.ofSeconds(30), false);

    public EnforcementSettings {
        agentConcurrency = Map.copyOf(agentConcurrency);
        Objects.requireNonNull(concurrencyLease, "concurrencyLease");
    }

    /** The cap of {@code agentName}, or 0 when it has none. */
    public long agentCap(String agentName) {
        return agentConcurrency.getOrDefault(agentName, 0L);
    }

    /**
     * {@code agent-concurrency}: a JSON object from agent name to a whole number, e.g. {@code {"researcher":4}}.
     *
     * @throws IllegalArgumentException saying what to fix
     */
    static Map<String, Long> parseAgentConcurrency(String text) {
        JsonObject json;
        try {
            json = Json.createReader(new StringReader(text)).readObject();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("must be a JSON object from agent name to requests in flight, "
                    + "such as {\"researcher\":4}");
        }
        Map<String, Long> caps = new TreeMap<>();
        for (Map.Entry<String, JsonValue> entry : json.entrySet()) {
            if (!(entry.getValue() instanceof JsonNumber number) || !number.isIntegral() || number.bigIntegerValue().signum() < 1
                    || number.bigIntegerValue().compareTo(BigInteger.valueOf(MAX_CONCURRENT)) > 0) {
                throw new IllegalArgumentException("the cap of \"" + entry.getKey() + "\" must be a whole number from 1 to "
                        + MAX_CONCURRENT);
            }
            caps.put(entry.getKey(), number.longValueExact());
        }
        return caps;
    }

    /** {@code budget-enforcement}: {@code lenient} or {@code strict}. */
    static boolean parseStrict(String raw) {
        return switch (raw) {
            case "lenient" -> false;
            case "strict" -> true;
            default -> throw new IllegalArgumentException("must be lenient or strict");
        };
    }

    /** {@code concurrency-lease}: a Go duration of at least a second. */
    static Duration parseLease(String raw) {
        Duration lease = GoDuration.parse(raw);
        if (lease.compareTo(MIN_LEASE) < 0) {
            throw new IllegalArgumentException("must be at least 1s");
        }
        return lease;
    }
}
