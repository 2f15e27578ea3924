package dev.creddy.anthropic.usage;

import jakarta.json.Json;
import jakarta.json.JsonException;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonReaderFactory;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Reads the small JSON values the meters capture, with JSON-P, so that escapes and numbers are read
 * exactly as a JSON parser reads them. Stateless and thread-safe (JSON-P's reader factory is).
 */
final class CapturedJson {

    // One factory for all: Json.createReader looks the provider up (a ServiceLoader scan) on every call.
    private static final JsonReaderFactory READERS = Json.createReaderFactory(null);

    private CapturedJson() {
    }

    /** The JSON value in {@code json[0, length)}, or empty when it is not one. */
    static Optional<JsonValue> value(byte[] json, int length) {
        // A String, not an InputStream: InputStreamReader's decoder allocates an 8 KB buffer per read.
        try (JsonReader reader = READERS.createReader(new StringReader(new String(json, 0, length, StandardCharsets.UTF_8)))) {
            return Optional.of(reader.readValue());
        } catch (JsonException | IllegalStateException e) {
            return Optional.empty();
        }
    }

    /** The text of a JSON string's content (without its quotes) as a parser decodes it, or null. */
    static String string(byte[] content, int length) {
        byte[] quoted = new byte[length + 2];
        quoted[0] = '"';
        System.arraycopy(content, 0, quoted, 1, length);
        quoted[length + 1] = '"';
        return value(quoted, quoted.length).filter(JsonString.class::isInstance)
                .map(string -> ((JsonString) string).getString()).orElse(null);
    }

    /**
     * A {@code usage} object's token count {@code name}: absent, null or not a whole number of at
     * least zero reads as empty.
     */
    static Optional<Long> tokens(JsonObject usage, String name) {
        JsonValue value = usage.get(name);
        if (value instanceof JsonNumber number && number.isIntegral()) {
            try {
                long tokens = number.longValueExact();
                return tokens >= 0 ? Optional.of(tokens) : Optional.empty();
            } catch (ArithmeticException e) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }
}
