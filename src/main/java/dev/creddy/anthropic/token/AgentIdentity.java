package dev.creddy.anthropic.token;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonReader;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.json.bind.annotation.JsonbProperty;
import jakarta.json.bind.annotation.JsonbPropertyOrder;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Who a token belongs to when an agent got it with its own identity token (a JWT from a Creddy server
 * or another OpenID Connect provider), as the verified claims said: for the audit trail, listings,
 * per-identity policy and the address binding. Never holds the JWT. Immutable.
 *
 * @param issuer the identity token's {@code iss}
 * @param subject its {@code sub}
 * @param taskId its {@code task_id}, or null
 * @param parentAgentId its {@code parent_agent_id}, or null
 * @param scopes the granted scopes that satisfied the proxy's required scope
 * @param ipRestriction its {@code ip_restriction} (an address or CIDR block, already checked), or null
 * @param groups the person's groups, for a token of a person signed in at {@code /device}; null otherwise
 */
@JsonbPropertyOrder({"issuer", "subject", "taskId", "parentAgentId", "scopes", "ipRestriction", "groups"})
public record AgentIdentity(
        String issuer,
        String subject,
        @JsonbProperty("task_id") String taskId,
        @JsonbProperty("parent_agent_id") String parentAgentId,
        List<String> scopes,
        @JsonbProperty("ip_restriction") String ipRestriction,
        List<String> groups) {

    private static final Set<String> FIELDS = Set.of("issuer", "subject", "task_id", "parent_agent_id", "scopes",
            "ip_restriction", "groups");

    public AgentIdentity {
        Objects.requireNonNull(issuer, "issuer");
        Objects.requireNonNull(subject, "subject");
        scopes = List.copyOf(scopes);
        groups = groups == null ? null : List.copyOf(groups);
    }

    /** An identity without groups: an agent's or a workload's. */
    public AgentIdentity(String issuer, String subject, String taskId, String parentAgentId, List<String> scopes,
            String ipRestriction) {
        this(issuer, subject, taskId, parentAgentId, scopes, ipRestriction, null);
    }

    /** The groups, empty when it has none. */
    public List<String> groupsOrNone() {
        return groups == null ? List.of() : groups;
    }

    /** The address binding, when the identity token had one. */
    public Optional<String> ipRestrictionIfAny() {
        return Optional.ofNullable(ipRestriction);
    }

    /** Compact JSON, for a store that keeps records as text. */
    public String toJson() {
        JsonObjectBuilder json = Json.createObjectBuilder().add("issuer", issuer).add("subject", subject);
        if (taskId != null) {
            json.add("task_id", taskId);
        }
        if (parentAgentId != null) {
            json.add("parent_agent_id", parentAgentId);
        }
        JsonArrayBuilder granted = Json.createArrayBuilder();
        scopes.forEach(granted::add);
        json.add("scopes", granted);
        if (ipRestriction != null) {
            json.add("ip_restriction", ipRestriction);
        }
        if (groups != null) {
            JsonArrayBuilder list = Json.createArrayBuilder();
            groups.forEach(list::add);
            json.add("groups", list);
        }
        return json.build().toString();
    }

    /**
     * The identity {@link #toJson()} wrote. Strict: an unknown field, a missing issuer or subject, or a
     * value of the wrong type is refused, never guessed at.
     *
     * @throws IllegalArgumentException when {@code json} is not such a document
     */
    public static AgentIdentity fromJson(String json) {
        JsonObject object;
        try (JsonReader reader = Json.createReader(new StringReader(json))) {
            object = reader.readObject();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a JSON object");
        }
        for (String field : object.keySet()) {
            if (!FIELDS.contains(field)) {
                throw new IllegalArgumentException("unknown field " + field);
            }
        }
        if (!(object.get("scopes") instanceof JsonArray array)) {
            throw new IllegalArgumentException("scopes is not an array");
        }
        List<String> scopes = new ArrayList<>();
        for (JsonValue scope : array) {
            if (!(scope instanceof JsonString text)) {
                throw new IllegalArgumentException("a scope is not a string");
            }
            scopes.add(text.getString());
        }
        return new AgentIdentity(text(object, "issuer", true), text(object, "subject", true),
                text(object, "task_id", false), text(object, "parent_agent_id", false), scopes,
                text(object, "ip_restriction", false), object.containsKey("groups") ? strings(object, "groups") : null);
    }

    private static List<String> strings(JsonObject object, String field) {
        if (!(object.get(field) instanceof JsonArray array)) {
            throw new IllegalArgumentException(field + " is not an array");
        }
        List<String> values = new ArrayList<>();
        for (JsonValue value : array) {
            if (!(value instanceof JsonString text)) {
                throw new IllegalArgumentException("an entry of " + field + " is not a string");
            }
            values.add(text.getString());
        }
        return values;
    }

    private static String text(JsonObject object, String field, boolean required) {
        JsonValue value = object.get(field);
        if (value == null) {
            if (required) {
                throw new IllegalArgumentException(field + " is missing");
            }
            return null;
        }
        if (!(value instanceof JsonString text)) {
            throw new IllegalArgumentException(field + " is not a string");
        }
        return text.getString();
    }
}
