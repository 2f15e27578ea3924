package dev.creddy.anthropic.token;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.io.StringReader;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * What one token may spend: requests and tokens per minute, a lifetime budget of tokens, and the
 * models it may call. Every part is optional; an absent part does not limit. "Tokens" here are
 * everything Anthropic reports in {@code usage}: input, cache creation, cache read and output.
 * Immutable.
 *
 * @param rpm requests per minute
 * @param tpm tokens per minute
 * @param maxTokensTotal tokens over the token's whole life
 * @param models the models allowed, each a full name or a prefix ending at a {@code -}
 *     ({@code claude-haiku} allows {@code claude-haiku-4-5}); empty allows every model
 */
public record TokenLimits(OptionalLong rpm, OptionalLong tpm, OptionalLong maxTokensTotal, List<String> models) {

    /** The field names of limits, in requests, settings and storage. */
    public static final Set<String> FIELDS = Set.of("rpm", "tpm", "max_tokens_total", "models");
    static final long MAX_COUNT = 1_000_000_000_000_000L;
    static final int MAX_MODELS = 100;
    static final int MAX_MODEL_NAME = 200;

    /** Limits nothing. */
    public static final TokenLimits NONE = new TokenLimits(OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty(),
            List.of());

    public TokenLimits {
        Objects.requireNonNull(rpm, "rpm");
        Objects.requireNonNull(tpm, "tpm");
        Objects.requireNonNull(maxTokensTotal, "maxTokensTotal");
        models = List.copyOf(models);
    }

    /** Whether a request must be admitted against counters before it is forwarded. */
    public boolean countsBeforeForwarding() {
        return rpm.isPresent() || tpm.isPresent() || maxTokensTotal.isPresent();
    }

    /** Whether the token may only call some models. */
    public boolean restrictsModels() {
        return !models.isEmpty();
    }

    /** Whether {@code model} is on the allowlist (always, when there is none). */
    public boolean allowsModel(String model) {
        if (models.isEmpty()) {
            return true;
        }
        for (String allowed : models) {
            // A prefix ends at a '-': "claude-sonnet-4" allows "claude-sonnet-4-5", not "claude-sonnet-40".
            if (model.equals(allowed) || model.startsWith(allowed)
                    && (allowed.endsWith("-") || model.charAt(allowed.length()) == '-')) {
                return true;
            }
        }
        return false;
    }

    /** These limits, with each absent part taken from {@code defaults}. */
    public TokenLimits orElse(TokenLimits defaults) {
        return new TokenLimits(rpm.isPresent() ? rpm : defaults.rpm, tpm.isPresent() ? tpm : defaults.tpm,
                maxTokensTotal.isPresent() ? maxTokensTotal : defaults.maxTokensTotal,
                models.isEmpty() ? defaults.models : models);
    }

    /** Compact JSON with the request's field names; absent parts are left out. How stores keep limits. */
    public String toJson() {
        JsonObjectBuilder json = Json.createObjectBuilder();
        rpm.ifPresent(value -> json.add("rpm", value));
        tpm.ifPresent(value -> json.add("tpm", value));
        maxTokensTotal.ifPresent(value -> json.add("max_tokens_total", value));
        if (!models.isEmpty()) {
            JsonArrayBuilder list = Json.createArrayBuilder();
            models.forEach(list::add);
            json.add("models", list);
        }
        return json.build().toString();
    }

    /**
     * Limits from {@link #toJson()}'s form.
     *
     * @throws IllegalArgumentException when the text is not limits in that form
     */
    public static TokenLimits fromJson(String text) {
        JsonObject json;
        try {
            json = Json.createReader(new StringReader(text)).readObject();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("limits must be a JSON object such as {\"rpm\":60,\"models\":[\"claude-sonnet-4\"]}");
        }
        for (String field : json.keySet()) {
            if (!FIELDS.contains(field)) {
                throw new IllegalArgumentException("unknown field \"" + field + "\": limits are rpm, tpm, max_tokens_total and models");
            }
        }
        return parse(json, NONE);
    }

    /**
     * Limits as an issuer writes them: the fields {@code rpm}, {@code tpm}, {@code max_tokens_total}
     * and {@code models} of {@code json} (other fields are the caller's). A field left out takes the
     * part of {@code defaults}; a field set to {@code null} lifts that limit.
     *
     * @throws IllegalArgumentException saying what to fix, when a field is not a valid limit
     */
    public static TokenLimits parse(Map<String, JsonValue> json, TokenLimits defaults) {
        return new TokenLimits(
                json.containsKey("rpm") ? count(json, "rpm") : defaults.rpm,
                json.containsKey("tpm") ? count(json, "tpm") : defaults.tpm,
                json.containsKey("max_tokens_total") ? count(json, "max_tokens_total") : defaults.maxTokensTotal,
                json.containsKey("models") ? models(json.get("models")) : defaults.models);
    }

    private static OptionalLong count(Map<String, JsonValue> json, String name) {
        JsonValue value = json.get(name);
        if (value.getValueType() == JsonValue.ValueType.NULL) {
            return OptionalLong.empty();
        }
        if (!(value instanceof JsonNumber number) || !number.isIntegral() || number.bigIntegerValue().signum() < 1
                || number.bigIntegerValue().compareTo(BigInteger.valueOf(MAX_COUNT)) > 0) {
            throw new IllegalArgumentException(name + " must be a whole number from 1 to " + MAX_COUNT
                    + ", or null for no limit");
        }
        return OptionalLong.of(number.longValueExact());
    }

    private static List<String> models(JsonValue value) {
        if (value.getValueType() == JsonValue.ValueType.NULL) {
            return List.of();
        }
        if (!(value instanceof JsonArray array) || array.isEmpty() || array.size() > MAX_MODELS) {
            throw new IllegalArgumentException("models must be a list of 1 to " + MAX_MODELS
                    + " model names or prefixes such as [\"claude-sonnet-4\"], or null for every model");
        }
        List<String> models = new ArrayList<>(array.size());
        for (JsonValue entry : array) {
            if (!(entry instanceof JsonString text) || text.getString().isEmpty() || text.getString().length() > MAX_MODEL_NAME
                    || text.getString().codePoints().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c))) {
                throw new IllegalArgumentException("each of models must be a model name or prefix of 1 to " + MAX_MODEL_NAME
                        + " characters without spaces, such as \"claude-sonnet-4\"");
            }
            models.add(text.getString());
        }
        return models;
    }
}
