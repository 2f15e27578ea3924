package dev.creddy.anthropic.forward;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.ownership.ObjectKind;
import dev.creddy.anthropic.ownership.ObjectOwners;
import dev.creddy.anthropic.ownership.Owner;
import dev.creddy.anthropic.usage.InflatingMeter;
import dev.creddy.anthropic.usage.JsonPathScanner;
import dev.creddy.anthropic.usage.ResponseMeter;
import dev.creddy.anthropic.usage.Usage;
import jakarta.json.Json;
import jakarta.json.JsonException;
import jakarta.json.JsonReader;
import jakarta.json.JsonReaderFactory;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.BiFunction;

/**
 * Holds a request body to the files its agent owns (issue 15, S8): a body can name a file by id
 * (a document or image block's {@code "source":{"type":"file","file_id":…}}, a
 * {@code container_upload} block's {@code file_id}, the same inside a {@code tool_result}'s content or a
 * batch's requests), and the model then reads that file whoever uploaded it. An agent that learned
 * another's file id could have the model read the file to it; this check refuses that before anything
 * reaches the upstream.
 *
 * <p><b>Which ids.</b> Every string member named {@code file_id} at any depth of the body, after JSON
 * unescaping ({@code "file\u005fid"} is {@code file_id}) and each occurrence of a key given twice,
 * not only the places the API documents today: a new block type, or a nesting the check did not
 * foresee, is then still checked. The cost is that a {@code file_id} in a tool's {@code input} is held
 * to the same rule (it must be the agent's file, or the tool's parameter named otherwise). A
 * {@code file_id} that is not a string is no file reference (the API refuses it) and is not reported.
 *
 * <p><b>What is checked.</b> Each id, once per request, against the {@link ObjectOwners}: only a file
 * created through the proxy by the same agent ({@link Owner}) passes. Another agent's file and an id
 * the proxy has no owner for are refused alike with 404 {@code not_found_error} naming the id (file
 * ids are not secrets), the answer the API gives for a file that does not exist, so the refusal tells
 * no agent whether someone else's file exists. While the store cannot answer the request is refused
 * with 503 (fail closed).
 *
 * <p><b>Bodies the check cannot read.</b> A body compressed with {@code gzip} or {@code deflate} (the
 * API accepts compressed request bodies) is inflated on the side, in a fixed buffer, for the check;
 * the compressed bytes go up as they came. A body in another coding, or one that is not JSON, could
 * name any file unseen: from the point the check goes blind ({@link #blind()}) nothing more of it goes
 * up, the rest is read (so an over-long body still gets its 413) and the body is refused at its end,
 * 400 for a body that is not JSON (the upstream would refuse it too), 415 for a coding.
 *
 * <p><b>Cost.</b> One structural pass over the bytes as they pass (the {@link JsonPathScanner} keeps
 * only the key it is reading and the id it is capturing), and nothing else for a body that names no
 * file; a body that names files costs one store round trip per read chunk that holds new ids.
 *
 * <p>{@link #read} and {@link #end} are confined to the thread that reads the body, in body order;
 * the stages {@link #owned} returns complete on the store's threads.
 */
final class FileReferenceCheck {

    /** The longest {@code file_id} value read; a longer one names no file ({@code file_} and 24 characters today). */
    static final int ID_LIMIT = 256;
    /** The most distinct files one request may name; the API takes far fewer documents and images. */
    static final int MAX_FILES = 1000;
    // One factory for all: Json.createReader looks the provider up on every call. Made on the container
    // thread that first builds a check (forRequest), where the application's class loader is current.
    private static final JsonReaderFactory READERS = Json.createReaderFactory(null);

    private final ObjectOwners owners;
    private final String owner;
    /** Where a store's late answer is acted on: never the store's own threads, which the gate's next steps may wait on. */
    private final Executor answers;
    private final JsonPathScanner scanner;
    /** What the body's bytes go through on their way to the scanner: the scanner itself, or an inflater in front of it. */
    private final ResponseMeter feed;
    /** The body's {@code Content-Encoding} when the check cannot decode it; null otherwise. */
    private final String unknownCoding;
    private final Set<String> seen = new HashSet<>();
    private List<String> fresh = new ArrayList<>();
    /** A value the check could not read as an id (too long), refused once its chunk is judged. */
    private boolean unreadable;
    private boolean malformed;
    private boolean ended;

    private FileReferenceCheck(ObjectOwners owners, String owner, Executor answers, String contentEncoding) {
        this.owners = owners;
        this.owner = owner;
        this.answers = answers;
        this.scanner = JsonPathScanner.of(new JsonPathScanner.Listener() {
            @Override
            public void captured(int path, byte[] json, int length) {
                Optional<String> id = string(json, length);
                if (id.isEmpty()) {
                    unreadable = true;
                } else if (seen.add(id.get())) {
                    fresh.add(id.get());
                }
            }

            @Override
            public void tooLarge(int path) {
                unreadable = true;
            }
        }, ID_LIMIT, List.of("**.file_id"));
        ResponseMeter scanning = new ResponseMeter() {
            @Override
            public void accept(ByteBuffer chunk) {
                if (!malformed && !scanner.accept(chunk)) {
                    malformed = true;
                }
            }

            @Override
            public Usage usage() {
                return Usage.ZERO;
            }
        };
        this.feed = switch (coding(contentEncoding)) {
            case "identity" -> scanning;
            case "gzip", "x-gzip" -> InflatingMeter.gzip(scanning);
            case "deflate" -> InflatingMeter.deflate(scanning);
            default -> null;
        };
        this.unknownCoding = feed == null ? contentEncoding : null;
    }

    /**
     * The check for a request, or null when its body cannot name a file: a POST to Messages, to
     * count_tokens, creating a batch, or to any path that is not exactly a known endpoint (another
     * spelling of Messages, an endpoint the proxy does not know yet) unless its body is a multipart
     * upload, which no JSON parser reads.
     *
     * @param contentType the request's {@code Content-Type}, or null
     * @param contentEncoding the request's {@code Content-Encoding} header lines joined with commas, or null
     * @param answers where a store's answer that comes later is acted on (opening the gate may reserve a
     *     dollar budget, a blocking call that must not run on the store's I/O threads)
     */
    static FileReferenceCheck forRequest(ForwardedRequest request, String contentType, String contentEncoding,
            ObjectOwners owners, Executor answers) {
        if (!"POST".equals(request.method())) {
            return null;
        }
        boolean checked = switch (Endpoint.of(request.path())) {
            case MESSAGES, COUNT_TOKENS, BATCHES -> true;
            case UNKNOWN -> contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("multipart/");
            default -> false;
        };
        return checked ? new FileReferenceCheck(owners, Owner.of(request.caller()), answers, contentEncoding) : null;
    }

    /**
     * Reads the next bytes of the body.
     *
     * @return the files first named in these bytes, usually none
     */
    List<String> read(byte[] bytes, int offset, int length) {
        if (feed != null && !malformed) {
            feed.accept(ByteBuffer.wrap(bytes, offset, length));
        }
        return taken();
    }

    /**
     * The body ended.
     *
     * @return the files first named at the end (none, for a JSON object), to be judged like the others
     */
    List<String> end() {
        if (feed != null && !malformed && !scanner.end()) {
            // Also a compressed body whose data was cut off or corrupt: the scanner saw a document cut short.
            malformed = true;
        }
        ended = true;
        return taken();
    }

    /** Whether the check can no longer see which files the body names: nothing more of it may go up. */
    boolean blind() {
        return malformed || feed == null;
    }

    /**
     * Why the body is refused without asking the store, if it is: at once for a value that names no
     * file or too many files; once the body has ended for a body the check is {@link #blind()} to.
     */
    Optional<RequestRefusedException> refusal() {
        if (ended && unknownCoding != null) {
            return Optional.of(new RequestRefusedException(ApiError.of(415, "the proxy reads a request body for the files it "
                    + "names and cannot decode Content-Encoding " + shownCoding() + "; send it uncompressed, or as gzip "
                    + "or deflate")));
        }
        if (ended && malformed) {
            return Optional.of(new RequestRefusedException(ApiError.of(400, "the body is not valid JSON")));
        }
        if (unreadable) {
            return Optional.of(new RequestRefusedException(ApiError.of(404, "not found: a file_id in the body names no "
                    + "file of this agent's (the proxy reaches only the files an agent uploaded through it)")));
        }
        if (seen.size() > MAX_FILES) {
            return Optional.of(new RequestRefusedException(ApiError.of(400, "the body names more than " + MAX_FILES
                    + " files")));
        }
        return Optional.empty();
    }

    /**
     * Whether every one of {@code ids} is a file of the caller's agent: completes with empty when
     * they all are, with the refusal otherwise (404 naming the first that is not, 503 when the store
     * cannot answer). Never completes exceptionally.
     */
    CompletionStage<Optional<RequestRefusedException>> owned(List<String> ids) {
        CompletionStage<Map<String, String>> known;
        try {
            known = owners.ownersOf(ObjectKind.FILE, ids);
        } catch (RuntimeException e) {
            known = CompletableFuture.failedFuture(e);
        }
        BiFunction<Map<String, String>, Throwable, Optional<RequestRefusedException>> judge = (found, failure) -> {
            if (failure != null || found == null) {
                return Optional.of(new RequestRefusedException(ApiError.retryAfter(503,
                        "the token store that knows who owns each file cannot be reached, so the files this request "
                                + "names cannot be checked; try again shortly", Duration.ofSeconds(1))));
            }
            for (String id : ids) {
                if (!owner.equals(found.get(id))) {
                    return Optional.of(new RequestRefusedException(ApiError.of(404, "not found: this agent has no file "
                            + shown(id) + " (the proxy reaches only the files an agent uploaded through it)")));
                }
            }
            return Optional.empty();
        };
        // The memory store has answered already: judge on the reading thread, with no hop.
        return known.toCompletableFuture().isDone() ? known.handle(judge) : known.handleAsync(judge, answers);
    }

    /**
     * The one coding a {@code Content-Encoding} (all its header lines, joined with commas) applies, or
     * {@code identity}: {@code identity} entries count for nothing, and two real codings are one the
     * check cannot decode (returned as they are).
     */
    private static String coding(String contentEncoding) {
        if (contentEncoding == null) {
            return "identity";
        }
        String applied = "identity";
        for (String entry : contentEncoding.split(",", -1)) {
            String coding = entry.strip().toLowerCase(Locale.ROOT);
            if (coding.isEmpty() || coding.equals("identity")) {
                continue;
            }
            if (!applied.equals("identity")) {
                return contentEncoding;
            }
            applied = coding;
        }
        return applied;
    }

    private String shownCoding() {
        String coding = unknownCoding.strip();
        return coding.length() <= 40 && coding.chars().allMatch(c -> c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
                ? coding : "of this request";
    }

    /** The id as the message names it: an id's own characters only, so that no other text a client sent is echoed. */
    private static String shown(String id) {
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-')) {
                return "named in the body";
            }
        }
        return id.startsWith("crd_") ? "named in the body" : id;
    }

    /** The captured value read as a JSON string, or empty when it is not one. */
    private static Optional<String> string(byte[] json, int length) {
        try (JsonReader reader = READERS.createReader(new StringReader(new String(json, 0, length, StandardCharsets.UTF_8)))) {
            JsonValue value = reader.readValue();
            return value instanceof JsonString text ? Optional.of(text.getString()) : Optional.empty();
        } catch (JsonException | IllegalStateException e) {
            return Optional.empty();
        }
    }

    private List<String> taken() {
        if (fresh.isEmpty()) {
            return List.of();
        }
        List<String> taken = fresh;
        fresh = new ArrayList<>();
        return taken;
    }
}
