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
import java.util.Comparator;
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
 * @param endpoints the kinds of endpoint the token may call, names from {@link #ENDPOINTS}; empty allows
 *     every endpoint. Files and Message Batches hold the whole workspace's data (prompts and answers of
 *     every agent), so issuance leaves them out unless the request or {@code default-limits} names them
 *     ({@link #ISSUANCE_DEFAULT_ENDPOINTS}).
 * @param maxCostUsd what the token may spend over its whole life, in micro-dollars ({@code max_cost_usd}
 *     in requests, in US dollars); priced with the price table, reserved before each request is forwarded
 * @param maxConcurrent requests of this token in flight at once, streams included, on every instance
 *     together (from admission to the end of the exchange)
 */
public record TokenLimits(OptionalLong rpm, OptionalLong tpm, OptionalLong maxTokensTotal, List<String> models,
        List<String> endpoints, OptionalLong maxCostUsd, OptionalLong maxConcurrent) {

    /** The field names of limits, in requests, settings and storage. */
    public static final Set<String> FIELDS = Set.of("rpm", "tpm", "max_tokens_total", "models", "endpoints", "max_cost_usd",
            "max_concurrent");

    /**
     * The endpoint names of {@code endpoints}: {@code messages} ({@code POST /v1/messages}),
     * {@code count_tokens}, {@code models}, {@code batches} ({@code /v1/messages/batches…}),
     * {@code files} ({@code /v1/files…}) and {@code other} (every other path under {@code /v1/}).
     */
    public static final List<String> ENDPOINTS = List.of("messages", "count_tokens", "models", "batches", "files", "other");

    /** What a token may call when neither its request nor {@code default-limits} names {@code endpoints}. */
    public static final List<String> ISSUANCE_DEFAULT_ENDPOINTS = List.of("messages", "count_tokens", "models", "other");
    static final long MAX_COUNT = 1_000_000_000_000_000L;
    static final int MAX_MODELS = 100;
    static final int MAX_MODEL_NAME = 200;
    /** The most requests one token may be allowed to have in flight. */
    static final long MAX_CONCURRENT = 100_000;

    /** Limits nothing. */
    public static final TokenLimits NONE = new TokenLimits(OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty(),
            List.of(), List.of(), OptionalLong.empty(), OptionalLong.empty());

    public TokenLimits {
        Objects.requireNonNull(maxCostUsd, "maxCostUsd");
        Objects.requireNonNull(rpm, "rpm");
        Objects.requireNonNull(tpm, "tpm");
        Objects.requireNonNull(maxTokensTotal, "maxTokensTotal");
        models = List.copyOf(models);
        endpoints = List.copyOf(endpoints);
        Objects.requireNonNull(maxConcurrent, "maxConcurrent");
    }

    /** Limits on counts and models that leave every endpoint open. */
    public TokenLimits(OptionalLong rpm, OptionalLong tpm, OptionalLong maxTokensTotal, List<String> models) {
        this(rpm, tpm, maxTokensTotal, models, List.of());
    }

    /** Limits without a dollar budget or a concurrency cap. */
    public TokenLimits(OptionalLong rpm, OptionalLong tpm, OptionalLong maxTokensTotal, List<String> models,
            List<String> endpoints) {
        this(rpm, tpm, maxTokensTotal, models, endpoints, OptionalLong.empty(), OptionalLong.empty());
    }

    /**
     * Whether the token counts tokens ({@code tpm} or {@code max_tokens_total}) or dollars
     * ({@code max_cost_usd}), not only requests: usage that arrives only later (a batch's) cannot be held to it.
     */
    public boolean countsTokens() {
        return tpm.isPresent() || maxTokensTotal.isPresent() || maxCostUsd.isPresent();
    }

    /** Whether {@code endpoint}, a name from {@link #ENDPOINTS}, is open to the token (always, when no list is set). */
    public boolean allowsEndpoint(String endpoint) {
        return endpoints.isEmpty() || endpoints.contains(endpoint);
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
                models.isEmpty() ? defaults.models : models, endpoints.isEmpty() ? defaults.endpoints : endpoints,
                maxCostUsd.isPresent() ? maxCostUsd : defaults.maxCostUsd,
                maxConcurrent.isPresent() ? maxConcurrent : defaults.maxConcurrent);
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
        if (!endpoints.isEmpty()) {
            JsonArrayBuilder list = Json.createArrayBuilder();
            endpoints.forEach(list::add);
            json.add("endpoints", list);
        }
        maxCostUsd.ifPresent(micros -> json.add("max_cost_usd", java.math.BigDecimal.valueOf(micros, 6)));
        maxConcurrent.ifPresent(value -> json.add("max_concurrent", value));
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
                throw new IllegalArgumentException("unknown field \"" + field
                        + "\": limits are rpm, tpm, max_tokens_total, models, endpoints, max_cost_usd and max_concurrent");
            }
        }
        return parse(json, NONE);
    }

    /**
     * The issuance defaults from {@code default-limits}, in {@link #toJson()}'s form: when the text does
     * not name {@code endpoints}, tokens get {@link #ISSUANCE_DEFAULT_ENDPOINTS}; {@code "endpoints": null}
     * opens every endpoint.
     *
     * @throws IllegalArgumentException when the text is not limits in that form
     */
    public static TokenLimits defaultsFromJson(String text) {
        TokenLimits parsed = fromJson(text);
        boolean namesEndpoints;
        try {
            namesEndpoints = Json.createReader(new StringReader(text)).readObject().containsKey("endpoints");
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("limits must be a JSON object such as {\"rpm\":60,\"models\":[\"claude-sonnet-4\"]}");
        }
        return namesEndpoints ? parsed : new TokenLimits(parsed.rpm, parsed.tpm, parsed.maxTokensTotal, parsed.models,
                ISSUANCE_DEFAULT_ENDPOINTS, parsed.maxCostUsd, parsed.maxConcurrent);
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
                json.containsKey("models") ? models(json.get("models")) : defaults.models,
                json.containsKey("endpoints") ? endpoints(json.get("endpoints")) : defaults.endpoints,
                json.containsKey("max_cost_usd") ? dollars(json.get("max_cost_usd")) : defaults.maxCostUsd,
                json.containsKey("max_concurrent") ? count(json, "max_concurrent", MAX_CONCURRENT) : defaults.maxConcurrent);
    }

    /** {@code max_cost_usd}: US dollars above zero with at most six decimals, as micro-dollars; null lifts it. */
    private static OptionalLong dollars(JsonValue value) {
        if (value.getValueType() == JsonValue.ValueType.NULL) {
            return OptionalLong.empty();
        }
        String expected = "max_cost_usd must be an amount of US dollars above 0 with at most six decimals, such as 2.5, "
                + "or null for no dollar budget";
        if (!(value instanceof JsonNumber number)) {
            throw new IllegalArgumentException(expected);
        }
        java.math.BigDecimal amount = number.bigDecimalValue();
        if (amount.signum() < 1 || amount.compareTo(java.math.BigDecimal.valueOf(MAX_COUNT, 6)) > 0) {
            throw new IllegalArgumentException(expected);
        }
        try {
            return OptionalLong.of(amount.movePointRight(6).longValueExact());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(expected);
        }
    }

    private static List<String> endpoints(JsonValue value) {
        if (value.getValueType() == JsonValue.ValueType.NULL) {
            return List.of();
        }
        String expected = "endpoints must be a list of endpoint names from " + String.join(", ", ENDPOINTS)
                + ", such as [\"messages\",\"count_tokens\",\"models\"], or null for every endpoint";
        if (!(value instanceof JsonArray array) || array.isEmpty() || array.size() > ENDPOINTS.size()) {
            throw new IllegalArgumentException(expected);
        }
        List<String> endpoints = new ArrayList<>(array.size());
        for (JsonValue entry : array) {
            if (!(entry instanceof JsonString name) || !ENDPOINTS.contains(name.getString())) {
                throw new IllegalArgumentException(expected);
            }
            if (!endpoints.contains(name.getString())) {
                endpoints.add(name.getString());
            }
        }
        // Stored in ENDPOINTS' order, so equal lists compare equal whatever order they were written in.
        endpoints.sort(Comparator.comparingInt(ENDPOINTS::indexOf));
        return endpoints;
    }

    private static OptionalLong count(Map<String, JsonValue> json, String name) {
        return count(json, name, MAX_COUNT);
    }

    private static OptionalLong count(Map<String, JsonValue> json, String name, long max) {
        JsonValue value = json.get(name);
        if (value.getValueType() == JsonValue.ValueType.NULL) {
            return OptionalLong.empty();
        }
        if (!(value instanceof JsonNumber number) || !number.isIntegral() || number.bigIntegerValue().signum() < 1
                || number.bigIntegerValue().compareTo(BigInteger.valueOf(max)) > 0) {
            throw new IllegalArgumentException(name + " must be a whole number from 1 to " + max
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
