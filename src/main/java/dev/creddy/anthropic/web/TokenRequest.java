package dev.creddy.anthropic.web;

import dev.creddy.anthropic.config.GoDuration;
import dev.creddy.anthropic.token.AgentNames;
import dev.creddy.anthropic.token.TokenLimits;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.json.stream.JsonParser;
import jakarta.json.stream.JsonParsingException;
import java.io.StringReader;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A parsed, validated {@code POST /v1/tokens} body, every field optional:
 * {@code {"ttl":"1h","agent_name":"my-agent","rpm":60,"tpm":100000,"max_tokens_total":2000000,
 * "models":["claude-sonnet-4"]}}. The limits may also come as one {@code "limits"} object with the same
 * fields. A limit left out takes the configured default; a limit set to {@code null} is lifted. Unknown
 * fields are refused, so a typo ({@code "tll"}) is not silently ignored. Every rule failure is an
 * {@link IllegalArgumentException} whose message says what to fix.
 *
 * @param ttl the token's lifetime, within {@code (0, maxTtl]}
 * @param agentName who the token is for
 * @param limits what the token may spend, defaults applied
 * @param agentNamed whether the body named the agent (else {@code agentName} is the default)
 * @param limitsNamed whether the body named any limit (else {@code limits} are the defaults)
 */
record TokenRequest(Duration ttl, String agentName, TokenLimits limits, boolean agentNamed, boolean limitsNamed) {

    static final String DEFAULT_AGENT_NAME = "unnamed";
    private static final Set<String> FIELDS = Set.of("ttl", "agent_name", "rpm", "tpm", "max_tokens_total", "models", "endpoints", "limits",
            "max_cost_usd", "max_concurrent");

    static TokenRequest parse(String body, Duration defaultTtl, Duration maxTtl, TokenLimits defaultLimits) {
        Map<String, JsonValue> json = body.isBlank() ? Map.of() : object(body);
        for (String field : json.keySet()) {
            if (!FIELDS.contains(field)) {
                throw new IllegalArgumentException("unknown field \"" + field
                        + "\": a token request takes ttl, agent_name, rpm, tpm, max_tokens_total, models, endpoints and max_concurrent");
            }
        }
        Duration ttl = json.containsKey("ttl") ? ttl(string(json, "ttl"), maxTtl) : defaultTtl;
        String agentName = json.containsKey("agent_name") ? agentName(string(json, "agent_name")) : DEFAULT_AGENT_NAME;
        Map<String, JsonValue> limitFields = limitFields(json);
        boolean limitsNamed = limitFields.keySet().stream().anyMatch(TokenLimits.FIELDS::contains);
        return new TokenRequest(ttl, agentName, TokenLimits.parse(limitFields, defaultLimits), json.containsKey("agent_name"),
                limitsNamed);
    }

    /** The limit fields, whether they came at the top level or in a {@code limits} object (not both). */
    private static Map<String, JsonValue> limitFields(Map<String, JsonValue> json) {
        if (!json.containsKey("limits")) {
            return json;
        }
        if (!(json.get("limits") instanceof JsonObject nested)) {
            throw new IllegalArgumentException("limits must be an object such as {\"rpm\":60,\"models\":[\"claude-sonnet-4\"]}");
        }
        for (String field : json.keySet()) {
            if (TokenLimits.FIELDS.contains(field)) {
                throw new IllegalArgumentException(field + " is given both at the top level and in limits: give it once");
            }
        }
        for (String field : nested.keySet()) {
            if (!TokenLimits.FIELDS.contains(field)) {
                throw new IllegalArgumentException("unknown field \"" + field
                        + "\" in limits: limits are rpm, tpm, max_tokens_total, models, endpoints and max_concurrent");
            }
        }
        return nested;
    }

    private static Map<String, JsonValue> object(String body) {
        try (JsonParser parser = Json.createParser(new StringReader(body))) {
            if (!parser.hasNext() || parser.next() != JsonParser.Event.START_OBJECT) {
                throw new IllegalArgumentException("the body must be a JSON object such as {\"ttl\":\"1h\",\"agent_name\":\"my-agent\"}");
            }
            Map<String, JsonValue> fields = new LinkedHashMap<>();
            for (JsonParser.Event event = parser.next(); event != JsonParser.Event.END_OBJECT; event = parser.next()) {
                String name = parser.getString();
                parser.next();
                // A repeated field must not pass as whichever came last: {"ttl":"25h","ttl":"1h"}.
                if (fields.put(name, parser.getValue()) != null) {
                    throw new IllegalArgumentException("the body is not valid JSON for a token request: \"" + name
                            + "\" appears twice");
                }
            }
            if (parser.hasNext()) {
                throw new IllegalArgumentException("the body is not valid JSON: it goes on after the object");
            }
            return fields;
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (JsonParsingException e) {
            throw new IllegalArgumentException("the body is not valid JSON (at line " + e.getLocation().getLineNumber()
                    + ", column " + e.getLocation().getColumnNumber() + ")");
        } catch (RuntimeException e) {
            // JsonException, NoSuchElementException at a cut-off body, or Parsson's limit on nesting depth.
            throw new IllegalArgumentException("the body is not valid JSON");
        }
    }

    private static String string(Map<String, JsonValue> json, String field) {
        JsonValue value = json.get(field);
        if (!(value instanceof JsonString text)) {
            throw new IllegalArgumentException(field + " must be a string" + (field.equals("ttl") ? " such as \"1h\"" : ""));
        }
        return text.getString();
    }

    private static Duration ttl(String text, Duration maxTtl) {
        Duration ttl;
        try {
            ttl = GoDuration.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("ttl: " + e.getMessage());
        }
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl must be longer than zero");
        }
        if (ttl.compareTo(maxTtl) > 0) {
            throw new IllegalArgumentException("ttl " + GoDuration.format(ttl) + " is longer than the maximum of "
                    + GoDuration.format(maxTtl));
        }
        return ttl;
    }

    private static String agentName(String name) {
        return AgentNames.check("agent_name", name);
    }
}
