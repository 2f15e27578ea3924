package dev.creddy.anthropic.usage;

import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Reads which models a request asks for while its body streams up, so that a token limited to some
 * models can be refused before the upstream acts on the request, without buffering the body. Each
 * model is reported as soon as its value has been read; the request is known to ask for no other model
 * only once the body has ended ({@link #end()}).
 *
 * <p>Where the model is: the top-level {@code model} of {@code POST /v1/messages},
 * {@code /v1/messages/count_tokens} and {@code /v1/complete}; every {@code requests[*].params.model} of
 * {@code POST /v1/messages/batches} (a batch must not carry a disallowed model in any of its requests).
 * Keys and strings are read after JSON unescaping ({@code "\u0063laude-opus-4"} is
 * {@code claude-opus-4}). A key given twice is reported twice: JSON leaves duplicate keys to the
 * parser, and the upstream's may take either, so the caller refuses when any of them is disallowed.
 *
 * <p>How to hold a token to its allowlist with it: show the sniffer each chunk before forwarding that
 * chunk, and stop at the first model the token may not call (or that is not a name, or when the status
 * turns {@link Status#NOT_JSON}) without forwarding the chunk it came in: a JSON body ends after its
 * model, so the upstream then holds an unfinished body it cannot act on.
 *
 * <p>Confined to one request: call it from one thread at a time, in body order.
 */
public final class ModelSniffer {

    /** The longest model value read; longer ones are reported as {@link Model.Kind#TOO_LONG}. */
    static final int MODEL_LIMIT = 1024;

    /** What the sniffer knows about the body so far. */
    public enum Status {
        /** The body is still being read. */
        UNDECIDED,
        /** The body ended as one JSON document; {@link #models()} holds every model it names. */
        COMPLETE,
        /** The body ended as one JSON document that names no model. */
        NO_MODEL,
        /** The body is not JSON (or was cut off); the models reported before it broke stand. */
        NOT_JSON
    }

    /**
     * One model the body names.
     *
     * @param kind whether the value was a string
     * @param value the model's name for {@link Kind#NAME}; the value's JSON text (at most 100 characters)
     *     for {@link Kind#NOT_A_STRING}; empty for {@link Kind#TOO_LONG}
     */
    public record Model(Kind kind, String value) {

        /** What kind of value the body gave as the model. */
        public enum Kind {
            /** A JSON string: {@code value} is its text. */
            NAME,
            /** A number, object, array, boolean or null. */
            NOT_A_STRING,
            /** A value over {@value ModelSniffer#MODEL_LIMIT} bytes: no model's name. */
            TOO_LONG
        }

        public Model {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(value, "value");
        }
    }

    private final JsonPathScanner scanner;
    private final List<Model> models = new ArrayList<>();
    /** The top-level {@code max_tokens} of a Messages request, when read; -1 before (or when it is not a count). */
    private long maxTokens = -1;
    private int reported;
    private Status status = Status.UNDECIDED;

    private ModelSniffer(String path) {
        this(List.of(path));
    }

    private ModelSniffer(List<String> paths) {
        this.scanner = JsonPathScanner.of(new JsonPathScanner.Listener() {
            @Override
            public void captured(int index, byte[] json, int length) {
                if (index == 1) {
                    CapturedJson.value(json, length).filter(jakarta.json.JsonNumber.class::isInstance)
                            .map(jakarta.json.JsonNumber.class::cast).filter(jakarta.json.JsonNumber::isIntegral)
                            .ifPresent(number -> maxTokens = Math.max(0, number.bigIntegerValue()
                                    .min(java.math.BigInteger.valueOf(UsageCounts.MAX_PER_RECORD)).longValue()));
                    return;
                }
                models.add(model(json, length));
            }

            @Override
            public void tooLarge(int index) {
                if (index == 0) {
                    models.add(new Model(Model.Kind.TOO_LONG, ""));
                }
            }
        }, MODEL_LIMIT, paths);
    }

    /**
     * A sniffer for a request's body, or empty when the request names no model in its body.
     *
     * @param method the request's method
     * @param path the request's path as sent upstream, without the query
     */
    public static Optional<ModelSniffer> forRequest(String method, String path) {
        if (!"POST".equals(method)) {
            return Optional.empty();
        }
        return switch (path) {
            case "/v1/messages" -> Optional.of(new ModelSniffer(List.of("model", "max_tokens")));
            case "/v1/messages/count_tokens", "/v1/complete" -> Optional.of(new ModelSniffer("model"));
            case "/v1/messages/batches" -> Optional.of(new ModelSniffer("requests[*].params.model"));
            default -> Optional.empty();
        };
    }

    /**
     * Reads the next bytes of the body.
     *
     * @return the models first read in these bytes (usually none)
     */
    public List<Model> accept(byte[] bytes, int offset, int length) {
        if (status == Status.UNDECIDED && !scanner.accept(bytes, offset, length)) {
            status = Status.NOT_JSON;
        }
        return newModels();
    }

    /**
     * Reads {@code chunk}'s remaining bytes, without moving its position.
     *
     * @return the models first read in these bytes (usually none)
     */
    public List<Model> accept(ByteBuffer chunk) {
        if (status == Status.UNDECIDED && !scanner.accept(chunk)) {
            status = Status.NOT_JSON;
        }
        return newModels();
    }

    /**
     * The body ended. From now on {@link #status()} is final.
     *
     * @return the models first read at the end (a top-level model that was the last value), if any
     */
    public List<Model> end() {
        if (status == Status.UNDECIDED) {
            status = !scanner.end() ? Status.NOT_JSON : models.isEmpty() ? Status.NO_MODEL : Status.COMPLETE;
        }
        return newModels();
    }

    /** What is known so far. */
    public Status status() {
        return status;
    }

    /** The request's {@code max_tokens} (a Messages request's), once read. */
    public java.util.OptionalLong maxTokens() {
        return maxTokens < 0 ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(maxTokens);
    }

    /** Every model read so far, in body order. */
    public List<Model> models() {
        return List.copyOf(models);
    }

    private List<Model> newModels() {
        if (reported == models.size()) {
            return List.of();
        }
        List<Model> fresh = List.copyOf(models.subList(reported, models.size()));
        reported = models.size();
        return fresh;
    }

    private static Model model(byte[] json, int length) {
        Optional<JsonValue> value = CapturedJson.value(json, length);
        if (value.isPresent() && value.get() instanceof JsonString name) {
            return new Model(Model.Kind.NAME, name.getString());
        }
        String text = new String(json, 0, Math.min(length, 100), java.nio.charset.StandardCharsets.UTF_8);
        return new Model(Model.Kind.NOT_A_STRING, text);
    }

    /** What the scanner holds now, for tests of the memory bound. */
    int retainedBytes() {
        return scanner.retainedBytes();
    }
}
