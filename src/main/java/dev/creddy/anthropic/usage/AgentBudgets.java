package dev.creddy.anthropic.usage;

import jakarta.json.Json;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.io.StringReader;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads {@code agent-budgets}: per agent name, what all its tokens together may spend in a rolling 24
 * hours, e.g. {@code {"researcher": {"usd_per_day": 20}}}. Stateless.
 */
public final class AgentBudgets {

    /** The one field of an agent's budget. */
    public static final String USD_PER_DAY = "usd_per_day";

    private AgentBudgets() {
    }

    /**
     * The budgets in micro-dollars per agent.
     *
     * @throws IllegalArgumentException saying what to fix
     */
    public static Map<String, Long> parse(String text) {
        JsonObject json;
        try {
            json = Json.createReader(new StringReader(text)).readObject();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("must be a JSON object such as {\"researcher\":{\"usd_per_day\":20}}");
        }
        Map<String, Long> budgets = new LinkedHashMap<>();
        for (Map.Entry<String, JsonValue> entry : json.entrySet()) {
            String agent = entry.getKey();
            if (!(entry.getValue() instanceof JsonObject budget) || budget.size() != 1
                    || !(budget.get(USD_PER_DAY) instanceof JsonNumber amount)) {
                throw new IllegalArgumentException("the budget of " + shown(agent)
                        + " must be an object {\"usd_per_day\": N}");
            }
            try {
                budgets.put(agent, Money.micros(amount.bigDecimalValue()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(shown(agent) + ".usd_per_day " + e.getMessage());
            }
        }
        return budgets;
    }

    private static String shown(String agent) {
        return agent.length() > 60 ? agent.substring(0, 60) + "…" : agent;
    }
}
