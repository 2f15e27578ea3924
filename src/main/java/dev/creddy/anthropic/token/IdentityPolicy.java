package dev.creddy.anthropic.token;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;
import java.io.StringReader;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Limits for tokens that agents obtain with their identity tokens, by agent or by scope, from the
 * {@code oidc-policy} setting:
 * <pre>{@code {"agent:researcher": {"rpm": 60, "models": ["claude-haiku"]},
 *  "scope:anthropic:claude": {"tpm": 40000, "max_tokens_total": 2000000}}}</pre>
 * The limits objects take the token request's field names ({@code rpm}, {@code tpm},
 * {@code max_tokens_total}, {@code models}). The most specific rule wins: the agent's own, else that
 * of its longest granted scope; without a rule, nothing is limited. Parsing is strict: an unknown key
 * or field is refused, not ignored. Immutable.
 */
public final class IdentityPolicy {

    /** No rules: every identity gets {@link TokenLimits#NONE}. */
    public static final IdentityPolicy NONE = new IdentityPolicy(Map.of(), Map.of());

    private static final String AGENT = "agent:";
    private static final String SCOPE = "scope:";
    private static final Set<String> LIMIT_FIELDS = Set.of("rpm", "tpm", "max_tokens_total", "models");

    private final Map<String, TokenLimits> byAgent;
    private final Map<String, TokenLimits> byScope;

    private IdentityPolicy(Map<String, TokenLimits> byAgent, Map<String, TokenLimits> byScope) {
        this.byAgent = Map.copyOf(byAgent);
        this.byScope = Map.copyOf(byScope);
    }

    /**
     * The policy a JSON document describes.
     *
     * @throws IllegalArgumentException saying which key or field is wrong
     */
    public static IdentityPolicy parse(String json) {
        JsonObject rules;
        try (JsonReader reader = Json.createReader(new StringReader(json))) {
            rules = reader.readObject();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("must be a JSON object such as {\"agent:researcher\":{\"rpm\":60}}");
        }
        Map<String, TokenLimits> byAgent = new LinkedHashMap<>();
        Map<String, TokenLimits> byScope = new LinkedHashMap<>();
        for (Map.Entry<String, JsonValue> rule : rules.entrySet()) {
            String key = rule.getKey();
            TokenLimits limits = limits(key, rule.getValue());
            if (key.startsWith(AGENT) && key.length() > AGENT.length()) {
                byAgent.put(key.substring(AGENT.length()), limits);
            } else if (key.startsWith(SCOPE) && key.length() > SCOPE.length()) {
                byScope.put(key.substring(SCOPE.length()), limits);
            } else {
                throw new IllegalArgumentException("\"" + key + "\" is neither agent:<name> nor scope:<scope>");
            }
        }
        return new IdentityPolicy(byAgent, byScope);
    }

    private static TokenLimits limits(String key, JsonValue value) {
        if (!(value instanceof JsonObject object)) {
            throw new IllegalArgumentException("the limits of \"" + key + "\" must be an object such as {\"rpm\":60}");
        }
        for (String field : object.keySet()) {
            if (!LIMIT_FIELDS.contains(field)) {
                throw new IllegalArgumentException("the limits of \"" + key + "\" have an unknown field \"" + field
                        + "\": use rpm, tpm, max_tokens_total and models");
            }
        }
        try {
            return TokenLimits.fromJson(object.toString());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the limits of \"" + key + "\": " + e.getMessage());
        }
    }

    /** The limits for an agent with these granted scopes: its own rule, else its longest scope's, else none. */
    public TokenLimits limitsFor(String agentName, List<String> scopes) {
        TokenLimits own = byAgent.get(agentName);
        if (own != null) {
            return own;
        }
        String best = null;
        for (String scope : scopes) {
            if (byScope.containsKey(scope) && (best == null || scope.length() > best.length())) {
                best = scope;
            }
        }
        return best == null ? TokenLimits.NONE : byScope.get(best);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof IdentityPolicy policy && byAgent.equals(policy.byAgent) && byScope.equals(policy.byScope);
    }

    @Override
    public int hashCode() {
        return Objects.hash(byAgent, byScope);
    }

    @Override
    public String toString() {
        return "IdentityPolicy[agents=" + byAgent.keySet() + ", scopes=" + byScope.keySet() + "]";
    }
}
