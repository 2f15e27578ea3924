package dev.creddy.anthropic.web;

import dev.creddy.anthropic.config.GoDuration;
import dev.creddy.anthropic.token.AgentNames;
import jakarta.json.Json;
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
 * A parsed, validated {@code POST /v1/tokens} body: {@code {"ttl":"1h","agent_name":"my-agent"}},
 * both optional. Unknown fields are refused, so a typo ({@code "tll"}) is not silently ignored.
 * Every rule failure is an {@link IllegalArgumentException} whose message says what to fix.
 *
 * @param ttl the token's lifetime, within {@code (0, maxTtl]}
 * @param agentName who the token is for
 * @param agentNamed whether the body named the agent (else {@code agentName} is the default)
 */
record TokenRequest(Duration ttl, String agentName, boolean agentNamed) {

    static final String DEFAULT_AGENT_NAME = "unnamed";
    private static final Set<String> FIELDS = Set.of("ttl", "agent_name");

    static TokenRequest parse(String body, Duration defaultTtl, Duration maxTtl) {
        Map<String, JsonValue> json = body.isBlank() ? Map.of() : object(body);
        for (String field : json.keySet()) {
            if (!FIELDS.contains(field)) {
                throw new IllegalArgumentException("unknown field \"" + field + "\": a token request takes ttl and agent_name");
            }
        }
        Duration ttl = json.containsKey("ttl") ? ttl(string(json, "ttl"), maxTtl) : defaultTtl;
        String agentName = json.containsKey("agent_name") ? agentName(string(json, "agent_name")) : DEFAULT_AGENT_NAME;
        return new TokenRequest(ttl, agentName, json.containsKey("agent_name"));
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
