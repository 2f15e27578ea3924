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
import java.util.List;
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
            throw new IllegalArgumentException("limits are not a JSON object");
        }
        JsonValue list = json.getOrDefault("models", JsonValue.EMPTY_JSON_ARRAY);
        if (!(list instanceof JsonArray array)) {
            throw new IllegalArgumentException("models is not a list");
        }
        List<String> models = array.stream().map(TokenLimits::string).toList();
        return new TokenLimits(count(json, "rpm"), count(json, "tpm"), count(json, "max_tokens_total"), models);
    }

    private static OptionalLong count(JsonObject json, String name) {
        JsonValue value = json.get(name);
        if (value == null) {
            return OptionalLong.empty();
        }
        if (!(value instanceof JsonNumber number) || !number.isIntegral() || number.longValue() < 1) {
            throw new IllegalArgumentException(name + " is not a positive whole number");
        }
        return OptionalLong.of(number.longValueExact());
    }

    private static String string(JsonValue value) {
        if (!(value instanceof JsonString text)) {
            throw new IllegalArgumentException("a model is not a string");
        }
        return text.getString();
    }
}
