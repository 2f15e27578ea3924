package dev.creddy.anthropic.usage;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * What each Claude model costs: rows of {@link ModelPrice} read from JSON, the one in the WAR
 * ({@code dev/creddy/anthropic/usage/prices.json}, figures from Anthropic's pricing pages, each row
 * naming its source and date) and optionally the operator's ({@code price-table}), which replaces the
 * built-in rows of the same {@code pattern} and adds others, or with {@code "extends": false}
 * replaces the whole table.
 *
 * <p>A model id is priced by the longest {@code pattern} it starts with where the pattern ends at a
 * {@code -} of the id ({@code claude-opus-4-5-20251101} is {@code claude-opus-4-5}, not
 * {@code claude-opus-4}); an id no row matches is unknown, and never priced at zero
 * ({@link #lookup} is empty).
 *
 * <p>{@link #version()} names the effective table (a digest of its rows), for {@code /health/ready}.
 *
 * <p>Immutable and thread-safe.
 */
public final class PriceTable {

    /** Where the built-in table is, on the class path. */
    public static final String BUILT_IN = "/dev/creddy/anthropic/usage/prices.json";
    /** The highest rate a row may name, US$ per million tokens: keeps every cost computation within a long. */
    static final BigDecimal MAX_RATE = BigDecimal.valueOf(1000);

    private static final Set<String> ROW_FIELDS = Set.of("pattern", "name", "input", "output", "cache_write_5m",
            "cache_write_1h", "cache_read", "batch_discount_percent", "long_context", "source", "taken");
    private static final Set<String> RATE_FIELDS = Set.of("above_input_tokens", "input", "output", "cache_write_5m",
            "cache_write_1h", "cache_read");

    private final List<ModelPrice> rows;
    private final String version;
    private final String origin;

    private PriceTable(List<ModelPrice> rows, String origin) {
        // Longest pattern first: the first match is the most specific.
        List<ModelPrice> sorted = new ArrayList<>(rows);
        sorted.sort(Comparator.comparingInt((ModelPrice row) -> row.pattern().length()).reversed()
                .thenComparing(ModelPrice::pattern));
        this.rows = List.copyOf(sorted);
        this.origin = origin;
        this.version = digest(this.rows);
    }

    /** The table in the WAR (read once). */
    public static PriceTable builtIn() {
        return BuiltIn.TABLE;
    }

    /** Reads the built-in table on first use. */
    private static final class BuiltIn {
        static final PriceTable TABLE = readBuiltIn();
    }

    private static PriceTable readBuiltIn() {
        try (InputStream in = PriceTable.class.getResourceAsStream(BUILT_IN)) {
            if (in == null) {
                throw new IllegalStateException("the built-in price table " + BUILT_IN + " is missing from the WAR");
            }
            return new PriceTable(parseRows(new String(in.readAllBytes(), StandardCharsets.UTF_8)).rows, "built-in");
        } catch (IOException e) {
            throw new IllegalStateException("the built-in price table could not be read", e);
        }
    }

    /**
     * The built-in table with the operator's {@code text} laid over it (or instead of it, when the text
     * says {@code "extends": false}).
     *
     * @param origin where the text came from, for {@code /health/ready} (a file's path, or {@code setting})
     * @throws IllegalArgumentException saying what to fix, when the text is not a price table
     */
    public static PriceTable withOverrides(String text, String origin) {
        Parsed operator = parseRows(text);
        Map<String, ModelPrice> byPattern = new LinkedHashMap<>();
        if (operator.extendsBuiltIn) {
            builtIn().rows.forEach(row -> byPattern.put(row.pattern(), row));
        }
        operator.rows.forEach(row -> byPattern.put(row.pattern(), row));
        return new PriceTable(List.copyOf(byPattern.values()),
                operator.extendsBuiltIn ? "built-in + " + origin : origin);
    }

    /** The row that prices {@code model}, or empty when no row matches (the model is unknown). */
    public Optional<ModelPrice> lookup(String model) {
        if (model == null) {
            return Optional.empty();
        }
        for (ModelPrice row : rows) {
            String pattern = row.pattern();
            if (model.equals(pattern) || model.startsWith(pattern)
                    && (pattern.endsWith("-") || model.charAt(pattern.length()) == '-')) {
                return Optional.of(row);
            }
        }
        return Optional.empty();
    }

    /**
     * What {@code tokens} of {@code model} cost, in micro-dollars, or empty when the table does not
     * know the model. Each count is held to {@link UsageCounts#MAX_PER_RECORD} first.
     */
    public OptionalLong costMicros(String model, ModelPrice.MeteredTokens tokens, boolean batch) {
        Optional<ModelPrice> row = lookup(model);
        if (row.isEmpty()) {
            return OptionalLong.empty();
        }
        ModelPrice.MeteredTokens bounded = new ModelPrice.MeteredTokens(bound(tokens.input()), bound(tokens.output()),
                bound(tokens.cacheWrite5m()), bound(tokens.cacheWrite1h()), bound(tokens.cacheRead()));
        return OptionalLong.of(row.get().costMicros(bounded, batch));
    }

    /** The highest output rate of any row (micro-dollars per million), for estimating before the model is known. */
    public long highestOutputRate() {
        return rows.stream().mapToLong(row -> Math.max(row.rates().output(),
                row.longContext() == null ? 0 : row.longContext().output())).max().orElse(0);
    }

    /** The highest input rate of any row (micro-dollars per million). */
    public long highestInputRate() {
        return rows.stream().mapToLong(row -> Math.max(row.rates().input(),
                row.longContext() == null ? 0 : row.longContext().input())).max().orElse(0);
    }

    /** The rows, most specific pattern first. */
    public List<ModelPrice> rows() {
        return rows;
    }

    /** A short digest of the effective rows: it changes whenever any figure does. */
    public String version() {
        return version;
    }

    /** Where the table came from: {@code built-in}, {@code built-in + <file>}, or the operator's alone. */
    public String origin() {
        return origin;
    }

    @Override
    public String toString() {
        return "PriceTable[" + rows.size() + " rows, " + origin + ", version " + version + "]";
    }

    private static long bound(long count) {
        return Math.max(0, Math.min(UsageCounts.MAX_PER_RECORD, count));
    }

    private record Parsed(List<ModelPrice> rows, boolean extendsBuiltIn) {
    }

    private static Parsed parseRows(String text) {
        JsonObject json;
        try {
            json = Json.createReader(new StringReader(text)).readObject();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("the price table must be a JSON object {\"models\":[{\"pattern\":…}, …]}");
        }
        if (!(json.get("models") instanceof JsonArray models)) {
            throw new IllegalArgumentException("the price table needs \"models\": a list of rows");
        }
        boolean extendsBuiltIn = true;
        if (json.containsKey("extends")) {
            JsonValue value = json.get("extends");
            if (value != JsonValue.TRUE && value != JsonValue.FALSE) {
                throw new IllegalArgumentException("\"extends\" must be true (lay the rows over the built-in table) or false");
            }
            extendsBuiltIn = value == JsonValue.TRUE;
        }
        List<ModelPrice> rows = new ArrayList<>();
        Set<String> patterns = new java.util.HashSet<>();
        for (int i = 0; i < models.size(); i++) {
            if (!(models.get(i) instanceof JsonObject row)) {
                throw new IllegalArgumentException("price table row " + i + " must be an object");
            }
            ModelPrice price = row(row, i);
            if (!patterns.add(price.pattern())) {
                throw new IllegalArgumentException("price table row " + i + ": pattern " + price.pattern() + " is given twice");
            }
            rows.add(price);
        }
        return new Parsed(rows, extendsBuiltIn);
    }

    private static ModelPrice row(JsonObject row, int index) {
        String where = "price table row " + index;
        for (String field : row.keySet()) {
            if (!ROW_FIELDS.contains(field)) {
                throw new IllegalArgumentException(where + ": unknown field \"" + field + "\"");
            }
        }
        String pattern = text(row, "pattern", where);
        if (pattern.isEmpty() || pattern.length() > 200 || pattern.chars().anyMatch(c -> c <= ' ' || c == 127)) {
            throw new IllegalArgumentException(where + ": pattern must be a model id or prefix without spaces");
        }
        where = where + " (" + pattern + ")";
        String source = text(row, "source", where);
        if (!source.startsWith("https://") && !source.startsWith("http://")) {
            throw new IllegalArgumentException(where + ": source must be the URL the figures were taken from");
        }
        String taken = text(row, "taken", where);
        try {
            LocalDate.parse(taken);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(where + ": taken must be the date the figures were taken, yyyy-MM-dd");
        }
        ModelPrice.Rates rates = rates(row, where);
        ModelPrice.Rates longContext = null;
        long above = 0;
        if (row.containsKey("long_context")) {
            if (!(row.get("long_context") instanceof JsonObject tier)) {
                throw new IllegalArgumentException(where + ": long_context must be an object");
            }
            for (String field : tier.keySet()) {
                if (!RATE_FIELDS.contains(field)) {
                    throw new IllegalArgumentException(where + ": unknown long_context field \"" + field + "\"");
                }
            }
            if (!(tier.get("above_input_tokens") instanceof JsonNumber threshold) || !threshold.isIntegral()
                    || threshold.bigDecimalValue().signum() < 1 || threshold.bigDecimalValue().compareTo(BigDecimal.valueOf(1L << 40)) > 0) {
                throw new IllegalArgumentException(where + ": long_context.above_input_tokens must be a whole number of tokens");
            }
            above = threshold.longValueExact();
            longContext = rates(tier, where + " long_context");
        }
        int discount = 50;
        if (row.containsKey("batch_discount_percent")) {
            if (!(row.get("batch_discount_percent") instanceof JsonNumber number) || !number.isIntegral()
                    || number.bigDecimalValue().signum() < 0 || number.bigDecimalValue().compareTo(BigDecimal.valueOf(100)) > 0) {
                throw new IllegalArgumentException(where + ": batch_discount_percent must be a whole number from 0 to 100");
            }
            discount = number.intValueExact();
        }
        return new ModelPrice(pattern, rates, longContext, above, discount, source, taken);
    }

    /** Input and output are required; cache rates default to Anthropic's multipliers of the input rate. */
    private static ModelPrice.Rates rates(JsonObject row, String where) {
        long input = rate(row, "input", where).orElseThrow(() -> new IllegalArgumentException(where + ": input is required"));
        long output = rate(row, "output", where).orElseThrow(() -> new IllegalArgumentException(where + ": output is required"));
        // 1.25×, 2× and 0.1× the input rate, rounded up to a micro-dollar per million.
        long write5m = rate(row, "cache_write_5m", where).orElse(ceilDiv(input * 125, 100));
        long write1h = rate(row, "cache_write_1h", where).orElse(input * 2);
        long read = rate(row, "cache_read", where).orElse(ceilDiv(input, 10));
        return new ModelPrice.Rates(input, output, write5m, write1h, read);
    }

    private static long ceilDiv(long a, long b) {
        return -Math.floorDiv(-a, b);
    }

    /** A rate in US$ per million tokens, as micro-dollars per million: at most six decimals, 0 to {@link #MAX_RATE}. */
    private static OptionalLong rate(JsonObject row, String name, String where) {
        JsonValue value = row.get(name);
        if (value == null) {
            return OptionalLong.empty();
        }
        if (!(value instanceof JsonNumber number)) {
            throw new IllegalArgumentException(where + ": " + name + " must be a number of US dollars per million tokens");
        }
        BigDecimal dollars = number.bigDecimalValue();
        if (dollars.signum() < 0 || dollars.compareTo(MAX_RATE) > 0) {
            throw new IllegalArgumentException(where + ": " + name + " must be from 0 to " + MAX_RATE + " dollars per million tokens");
        }
        try {
            return OptionalLong.of(dollars.movePointRight(6).longValueExact());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(where + ": " + name + " has more than six decimals");
        }
    }

    private static String text(JsonObject row, String name, String where) {
        if (!(row.get(name) instanceof JsonString value)) {
            throw new IllegalArgumentException(where + ": " + name + " is required (a string)");
        }
        return value.getString();
    }

    private static String digest(List<ModelPrice> rows) {
        StringBuilder canonical = new StringBuilder();
        rows.stream().sorted(Comparator.comparing(ModelPrice::pattern)).forEach(row -> canonical.append(row).append('\n'));
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(canonical.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from the JVM", e);
        }
    }
}
