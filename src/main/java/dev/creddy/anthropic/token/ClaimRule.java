package dev.creddy.anthropic.token;

import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * One {@code oidc-policy} rule that matches an identity token's claims rather than its scopes, for
 * workload identities that carry none (Kubernetes service-account tokens, GitHub Actions' OIDC token,
 * SPIFFE JWT-SVIDs):
 * <pre>{@code {"match": {"iss": "https://token.actions.githubusercontent.com", "repository": "acme/*",
 *            "ref": "refs/heads/main"},
 *  "agent": "gh:${repository}", "limits": {"rpm": 30}}}</pre>
 *
 * <p>{@code match} names claims and the values they must have: a string is a pattern where {@code *}
 * stands for any run of characters (and nothing else is special), a number or boolean must be equal,
 * a list means any of its entries, and an object descends into a nested claim (Kubernetes'
 * {@code "kubernetes.io": {"namespace": "ml"}}). A claim that is a list (such as {@code aud}) matches
 * when one of its entries does. Every rule names its issuer exactly in {@code iss}, so that a rule
 * written for one issuer's claims never admits another issuer's tokens.
 *
 * <p>{@code agent} builds the agent name from claims: {@code ${name}} is replaced by the claim's value,
 * {@code ${a/b}} by a nested claim's. The result follows {@link AgentNames}' rules, so no claim can
 * disguise a listing or a log line. Immutable.
 */
public final class ClaimRule {

    private static final Set<String> FIELDS = Set.of("match", "agent", "limits");
    private static final int MAX_DEPTH = 4;

    private final String issuer;
    private final JsonObject match;
    private final Optional<String> agentTemplate;
    private final Optional<TokenLimits> limits;

    private ClaimRule(String issuer, JsonObject match, Optional<String> agentTemplate, Optional<TokenLimits> limits) {
        this.issuer = issuer;
        this.match = match;
        this.agentTemplate = agentTemplate;
        this.limits = limits;
    }

    /**
     * The rule a policy entry describes; {@code where} names it in messages ("rule 2").
     *
     * @throws IllegalArgumentException saying which field is wrong
     */
    static ClaimRule parse(String where, JsonObject rule) {
        for (String field : rule.keySet()) {
            if (!FIELDS.contains(field)) {
                throw new IllegalArgumentException(where + " has an unknown field \"" + field + "\": use match, agent and limits");
            }
        }
        if (!(rule.get("match") instanceof JsonObject match) || match.isEmpty()) {
            throw new IllegalArgumentException(where + " needs \"match\", an object of claims such as {\"iss\":\"https://…\","
                    + "\"repository\":\"acme/*\"}");
        }
        if (!(match.get("iss") instanceof JsonString iss) || iss.getString().contains("*")) {
            throw new IllegalArgumentException(where + " must name its issuer exactly in match.iss (no *), so that it "
                    + "never admits another issuer's tokens");
        }
        checkPatterns(where, "match", match, 0);
        Optional<String> agent = Optional.empty();
        if (rule.containsKey("agent")) {
            if (!(rule.get("agent") instanceof JsonString template) || template.getString().isEmpty()) {
                throw new IllegalArgumentException(where + ": agent must be a string such as \"gh:${repository}\"");
            }
            agent = Optional.of(checkTemplate(where, template.getString()));
        }
        Optional<TokenLimits> limits = Optional.empty();
        if (rule.containsKey("limits")) {
            if (!(rule.get("limits") instanceof JsonObject object)) {
                throw new IllegalArgumentException(where + ": limits must be an object such as {\"rpm\":60}");
            }
            try {
                limits = Optional.of(TokenLimits.fromJson(object.toString()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": limits: " + e.getMessage());
            }
        }
        return new ClaimRule(iss.getString(), match, agent, limits);
    }

    private static void checkPatterns(String where, String path, JsonObject patterns, int depth) {
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException(where + ": " + path + " nests deeper than " + MAX_DEPTH + " levels");
        }
        for (Map.Entry<String, JsonValue> entry : patterns.entrySet()) {
            String at = path + "." + entry.getKey();
            JsonValue value = entry.getValue();
            if (value instanceof JsonObject nested) {
                checkPatterns(where, at, nested, depth + 1);
            } else if (value instanceof jakarta.json.JsonArray any) {
                if (any.isEmpty()) {
                    throw new IllegalArgumentException(where + ": " + at + " is an empty list, which nothing matches");
                }
                for (JsonValue option : any) {
                    if (!isScalar(option)) {
                        throw new IllegalArgumentException(where + ": " + at + " lists something other than strings, "
                                + "numbers and booleans");
                    }
                }
            } else if (!isScalar(value)) {
                throw new IllegalArgumentException(where + ": " + at + " must be a string, number, boolean, list or object");
            }
        }
    }

    private static boolean isScalar(JsonValue value) {
        return value instanceof JsonString || value instanceof JsonNumber || value == JsonValue.TRUE
                || value == JsonValue.FALSE;
    }

    private static String checkTemplate(String where, String template) {
        int at = 0;
        while ((at = template.indexOf("${", at)) >= 0) {
            int end = template.indexOf('}', at);
            if (end < 0 || end == at + 2) {
                throw new IllegalArgumentException(where + ": agent has a ${ without a claim name and a closing }");
            }
            at = end + 1;
        }
        return template;
    }

    /** The issuer this rule is for, exactly as its tokens' {@code iss}. */
    public String issuer() {
        return issuer;
    }

    /** Whether {@code claims} (as the verified token's JSON: strings, numbers, booleans, lists, maps) match. */
    public boolean matches(Map<String, Object> claims) {
        return matchesObject(match, claims);
    }

    private static boolean matchesObject(JsonObject patterns, Map<?, ?> claims) {
        for (Map.Entry<String, JsonValue> entry : patterns.entrySet()) {
            if (!matchesValue(entry.getValue(), claims.get(entry.getKey()))) {
                return false;
            }
        }
        return true;
    }

    private static boolean matchesValue(JsonValue pattern, Object claim) {
        if (claim == null) {
            return false;
        }
        if (pattern instanceof JsonObject nested) {
            return claim instanceof Map<?, ?> map && matchesObject(nested, map);
        }
        if (claim instanceof List<?> entries) {
            // A list claim (aud, groups) matches when one of its entries does.
            for (Object entry : entries) {
                if (!(entry instanceof List<?>) && matchesValue(pattern, entry)) {
                    return true;
                }
            }
            return false;
        }
        if (pattern instanceof jakarta.json.JsonArray options) {
            for (JsonValue option : options) {
                if (matchesValue(option, claim)) {
                    return true;
                }
            }
            return false;
        }
        if (pattern instanceof JsonString text) {
            return claim instanceof String value && glob(text.getString(), value);
        }
        if (pattern instanceof JsonNumber number) {
            return claim instanceof Number value && number.bigDecimalValue().compareTo(new java.math.BigDecimal(value.toString())) == 0;
        }
        return claim instanceof Boolean value && value == (pattern == JsonValue.TRUE);
    }

    /**
     * {@code *} matches any run of characters, everything else itself. Backtracks only to the last star,
     * so it takes at most pattern × text steps, and no regular expression is compiled from configuration.
     */
    static boolean glob(String pattern, String text) {
        int p = 0;
        int t = 0;
        int star = -1;
        int resume = 0;
        while (t < text.length()) {
            if (p < pattern.length() && pattern.charAt(p) == '*') {
                star = p++;
                resume = t;
            } else if (p < pattern.length() && pattern.charAt(p) == text.charAt(t)) {
                p++;
                t++;
            } else if (star >= 0) {
                p = star + 1;
                t = ++resume;
            } else {
                return false;
            }
        }
        while (p < pattern.length() && pattern.charAt(p) == '*') {
            p++;
        }
        return p == pattern.length();
    }

    /**
     * The agent name this rule builds from {@code claims}, when it names one.
     *
     * @throws IllegalArgumentException when a claim it needs is missing or not text, or the name breaks
     *     {@link AgentNames}' rules; the message names the claim, never its value
     */
    public Optional<String> agentName(Map<String, Object> claims) {
        if (agentTemplate.isEmpty()) {
            return Optional.empty();
        }
        String template = agentTemplate.get();
        StringBuilder name = new StringBuilder();
        int at = 0;
        int start;
        while ((start = template.indexOf("${", at)) >= 0) {
            int end = template.indexOf('}', start);
            name.append(template, at, start);
            String claim = template.substring(start + 2, end);
            name.append(claimText(claims, claim));
            at = end + 1;
        }
        name.append(template.substring(at));
        return Optional.of(AgentNames.check("the agent name built from its claims", name.toString()));
    }

    private static String claimText(Map<String, Object> claims, String path) {
        Object value = claims;
        for (String part : path.split("/", -1)) {
            value = value instanceof Map<?, ?> map ? map.get(part) : null;
        }
        if (!(value instanceof String) && !(value instanceof Number) && !(value instanceof Boolean)) {
            throw new IllegalArgumentException("the " + path + " claim, which the agent name is built from, is "
                    + (value == null ? "missing" : "not a string"));
        }
        return value.toString();
    }

    /** The limits this rule sets, when it sets any. */
    public Optional<TokenLimits> limits() {
        return limits;
    }

    /** What a rule is, for messages and logs: its issuer and the claims it names, never values. */
    @Override
    public String toString() {
        List<String> names = new ArrayList<>(match.keySet());
        return "ClaimRule[" + issuer + ", claims=" + names + agentTemplate.map(t -> ", agent=" + t).orElse("") + "]";
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ClaimRule rule && match.equals(rule.match) && agentTemplate.equals(rule.agentTemplate)
                && limits.equals(rule.limits);
    }

    @Override
    public int hashCode() {
        return Objects.hash(match, agentTemplate, limits);
    }
}
