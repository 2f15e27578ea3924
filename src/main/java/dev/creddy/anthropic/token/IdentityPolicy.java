package dev.creddy.anthropic.token;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Limits for tokens that agents obtain with their identity tokens, by agent, by scope or by group,
 * from the {@code oidc-policy} setting:
 * <pre>{@code {"agent:researcher": {"rpm": 60, "models": ["claude-haiku"]},
 *  "scope:anthropic:claude": {"tpm": 40000, "max_tokens_total": 2000000},
 *  "group:ml-team": {"models": ["claude-sonnet-4"]}}}</pre>
 * The limits objects take the token request's field names ({@code rpm}, {@code tpm},
 * {@code max_tokens_total}, {@code models}). The most specific rule wins: the agent's own, else that
 * of its longest granted scope, else that of its first group (in the order the rules are written);
 * without a rule, nothing is limited.
 *
 * <p>The policy may also be a list, whose entries are objects of that form or {@link ClaimRule}s
 * ({@code {"match": {…}, "agent": "…", "limits": {…}}}) that admit and name workload identities by their
 * claims; the first claim rule that matches a token wins, in the order of the list. Parsing is strict:
 * an unknown key or field is refused, not ignored. Immutable.
 */
public final class IdentityPolicy {

    /** No rules: every identity gets {@link TokenLimits#NONE}. */
    public static final IdentityPolicy NONE = new IdentityPolicy(Map.of(), Map.of(), Map.of(), List.of());

    private static final String AGENT = "agent:";
    private static final String SCOPE = "scope:";
    private static final String GROUP = "group:";
    private static final Set<String> LIMIT_FIELDS = Set.of("rpm", "tpm", "max_tokens_total", "models", "max_cost_usd",
            "max_concurrent");

    private final Map<String, TokenLimits> byAgent;
    private final Map<String, TokenLimits> byScope;
    /** Insertion-ordered: the first group rule a person's groups name wins. */
    private final Map<String, TokenLimits> byGroup;
    private final List<ClaimRule> claimRules;

    private IdentityPolicy(Map<String, TokenLimits> byAgent, Map<String, TokenLimits> byScope,
            Map<String, TokenLimits> byGroup, List<ClaimRule> claimRules) {
        this.byAgent = Map.copyOf(byAgent);
        this.byScope = Map.copyOf(byScope);
        this.byGroup = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(byGroup));
        this.claimRules = List.copyOf(claimRules);
    }

    /**
     * The policy a JSON document describes.
     *
     * @throws IllegalArgumentException saying which key or field is wrong
     */
    public static IdentityPolicy parse(String json) {
        JsonValue document;
        try (JsonReader reader = Json.createReader(new StringReader(json))) {
            document = reader.readValue();
        } catch (RuntimeException e) {
            document = null;
        }
        Map<String, TokenLimits> byAgent = new LinkedHashMap<>();
        Map<String, TokenLimits> byScope = new LinkedHashMap<>();
        Map<String, TokenLimits> byGroup = new LinkedHashMap<>();
        List<ClaimRule> claimRules = new ArrayList<>();
        if (document instanceof JsonObject rules) {
            named(rules, byAgent, byScope, byGroup);
        } else if (document instanceof JsonArray entries && !entries.isEmpty()) {
            for (int i = 0; i < entries.size(); i++) {
                if (!(entries.get(i) instanceof JsonObject entry)) {
                    throw new IllegalArgumentException("rule " + (i + 1) + " is not an object");
                }
                if (entry.containsKey("match")) {
                    claimRules.add(ClaimRule.parse("rule " + (i + 1), entry));
                } else {
                    named(entry, byAgent, byScope, byGroup);
                }
            }
        } else {
            throw new IllegalArgumentException("must be a JSON object such as {\"agent:researcher\":{\"rpm\":60}}, or a "
                    + "list of such objects and claim rules ({\"match\":{…},\"agent\":\"…\",\"limits\":{…}})");
        }
        return new IdentityPolicy(byAgent, byScope, byGroup, claimRules);
    }

    private static void named(JsonObject rules, Map<String, TokenLimits> byAgent, Map<String, TokenLimits> byScope,
            Map<String, TokenLimits> byGroup) {
        for (Map.Entry<String, JsonValue> rule : rules.entrySet()) {
            String key = rule.getKey();
            TokenLimits limits = limits(key, rule.getValue());
            if (key.startsWith(AGENT) && key.length() > AGENT.length()) {
                byAgent.put(key.substring(AGENT.length()), limits);
            } else if (key.startsWith(SCOPE) && key.length() > SCOPE.length()) {
                byScope.put(key.substring(SCOPE.length()), limits);
            } else if (key.startsWith(GROUP) && key.length() > GROUP.length()) {
                byGroup.put(key.substring(GROUP.length()), limits);
            } else {
                throw new IllegalArgumentException("\"" + key + "\" is neither agent:<name> nor scope:<scope>, nor group:<name>");
            }
        }
    }

    private static TokenLimits limits(String key, JsonValue value) {
        if (!(value instanceof JsonObject object)) {
            throw new IllegalArgumentException("the limits of \"" + key + "\" must be an object such as {\"rpm\":60}");
        }
        for (String field : object.keySet()) {
            if (!LIMIT_FIELDS.contains(field)) {
                throw new IllegalArgumentException("the limits of \"" + key + "\" have an unknown field \"" + field
                        + "\": use rpm, tpm, max_tokens_total, models and max_concurrent");
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
        return limitsFor(agentName, scopes, List.of());
    }

    /**
     * The limits for an agent with these granted scopes and groups: its own rule, else its longest
     * scope's, else the first group rule (in the policy's order) that one of its groups has, else none.
     */
    public TokenLimits limitsFor(String agentName, List<String> scopes, List<String> groups) {
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
        if (best != null) {
            return byScope.get(best);
        }
        for (Map.Entry<String, TokenLimits> rule : byGroup.entrySet()) {
            if (groups.contains(rule.getKey())) {
                return rule.getValue();
            }
        }
        return TokenLimits.NONE;
    }

    /** The first claim rule for {@code issuer} that {@code claims} (the verified token's JSON) match. */
    public Optional<ClaimRule> claimRuleFor(String issuer, Map<String, Object> claims) {
        for (ClaimRule rule : claimRules) {
            if (rule.issuer().equals(issuer) && rule.matches(claims)) {
                return Optional.of(rule);
            }
        }
        return Optional.empty();
    }

    /** The group names {@code group:} rules are written for, in their order. */
    public List<String> groupNames() {
        return List.copyOf(byGroup.keySet());
    }

    /** Whether some claim rule is written for {@code issuer}. */
    public boolean hasClaimRulesFor(String issuer) {
        return claimRules.stream().anyMatch(rule -> rule.issuer().equals(issuer));
    }

    /** The issuers claim rules are written for, in their order. */
    public List<String> claimRuleIssuers() {
        return claimRules.stream().map(ClaimRule::issuer).distinct().toList();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof IdentityPolicy policy && byAgent.equals(policy.byAgent) && byScope.equals(policy.byScope)
                && byGroup.equals(policy.byGroup) && claimRules.equals(policy.claimRules);
    }

    @Override
    public int hashCode() {
        return Objects.hash(byAgent, byScope, byGroup, claimRules);
    }

    @Override
    public String toString() {
        return "IdentityPolicy[agents=" + byAgent.keySet() + ", scopes=" + byScope.keySet() + ", groups=" + byGroup.keySet()
                + ", claimRules=" + claimRules.size() + "]";
    }
}
