package dev.creddy.anthropic.usage;

import java.util.Objects;

/**
 * One request's reservation of dollars, made before it is forwarded and settled on its exact cost
 * after. Immutable.
 *
 * @param id unique to the reservation
 * @param micros what was reserved, in micro-dollars
 * @param onToken whether it holds the token's {@code max_cost_usd}
 * @param agent the agent whose rolling budget it holds, or null
 */
public record SpendHold(String id, long micros, boolean onToken, String agent) {

    public SpendHold {
        Objects.requireNonNull(id, "id");
        if (micros < 0) {
            throw new IllegalArgumentException("a reservation is never negative");
        }
    }
}
