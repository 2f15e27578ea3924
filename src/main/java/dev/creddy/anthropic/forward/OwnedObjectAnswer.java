package dev.creddy.anthropic.forward;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.api.RetryHint;
import dev.creddy.anthropic.ownership.ObjectKind;
import dev.creddy.anthropic.ownership.ObjectOwners;
import dev.creddy.anthropic.ownership.Owner;
import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.json.spi.JsonProvider;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Keeps the files and Message Batches of one agent from every other (issue 15, S8) where the answer
 * carries them: a create's answer records its {@code id} as the caller's ({@link Owner}) before the
 * client sees the id, so its first call with it already finds the record; a delete's answer drops the
 * record; a listing's {@code data} keeps only the caller's own objects. Calls that name one object are
 * checked before anything goes upstream (web's {@code ObjectAccess}); this class handles the answers.
 *
 * <p><b>Pagination after filtering.</b> A listing page is the upstream's page with the other agents'
 * objects taken out, so it can hold fewer than {@code limit} objects. {@code first_id} and
 * {@code last_id} become the first and last object the caller sees, so they never name another
 * agent's object, and paging on with {@code after_id=last_id} (or {@code before_id=first_id}) goes on
 * from there, as the API documents, and re-reads no object of the caller's twice.
 *
 * <p><b>A page that would hold none of the caller's objects</b> is not shown: the proxy reads on
 * upstream, from the cursor of the page it read, with {@code limit} {@value ListingPages#LIMIT} (the
 * largest), until a page holds one of the caller's or the workspace has no more, at most
 * {@value #FURTHER_PAGES} further pages (up to {@value #FURTHER_PAGES}000 other objects) per client
 * request. Why not an empty page with a cursor: an empty page has no object of the caller's to put in
 * {@code last_id} without naming another agent's, and the SDKs' auto-pagers (the Java SDK's included)
 * stop at an empty page however {@code has_more} reads, so a caller whose objects sit behind a page of
 * someone else's would never reach them. The page found is cut to the client's {@code limit}: the
 * objects nearest the cursor are kept (the first ones paging forward, the last ones paging back with
 * {@code before_id}), and {@code has_more} is then true. Only past the bound does an empty page come
 * back: {@code data} empty, {@code has_more} true, {@code first_id} and {@code last_id} null (a pager
 * stops there; list with {@code limit=1000} from the last object seen to go on). The further pages are
 * part of the client's one exchange (its header deadline, its audit line).
 *
 * <p>A listing answer that cannot be read (not a JSON object with a {@code data} array) fails the
 * exchange with 502: never shown unfiltered. A create whose owner cannot be recorded (the store
 * is unreachable) is answered 500 with {@code x-should-retry: false}: the object exists upstream but
 * no token can reach it, and an automatic retry would create (and, for a batch, pay for) another.
 *
 * <p>Immutable and thread-safe.
 */
final class OwnedObjectAnswer implements HeldAnswer {

    /** The most upstream pages read after the client's own for one listing (see the class comment). */
    static final int FURTHER_PAGES = 10;

    /** What the answer tells the proxy. */
    enum Action {
        /** A create: record the new object's {@code id}. */
        RECORD,
        /** A delete: forget the deleted object. */
        FORGET,
        /** A listing: keep only the caller's objects. */
        FILTER
    }

    private final Action action;
    private final ObjectKind kind;
    private final String owner;
    /** The object a delete names; null otherwise. */
    private final String objectId;
    private final ObjectOwners owners;
    /** Applied after this answer's own change; null when the call's answer has no {@code results_url}. */
    private final BatchUrlRewriter batchUrls;
    private final JsonProvider json;
    /** For a listing, what reads further upstream pages; null otherwise (or where none may be read). */
    private final ListingPages pages;
    /** For a listing: the client's {@code limit}, and whether it pages back ({@code before_id}). */
    private final int limit;
    private final boolean backward;

    OwnedObjectAnswer(Action action, ObjectKind kind, String owner, String objectId, ObjectOwners owners,
            BatchUrlRewriter batchUrls, JsonProvider json) {
        this(action, kind, owner, objectId, owners, batchUrls, json, null, null);
    }

    /**
     * @param pages for a listing, what reads the pages after a page with none of the caller's objects, or null
     * @param query the listing's raw query, for its {@code limit} and direction; null for none
     */
    OwnedObjectAnswer(Action action, ObjectKind kind, String owner, String objectId, ObjectOwners owners,
            BatchUrlRewriter batchUrls, JsonProvider json, ListingPages pages, String query) {
        this.action = action;
        this.kind = kind;
        this.owner = owner;
        this.objectId = objectId;
        this.owners = owners;
        this.batchUrls = batchUrls;
        this.json = json;
        this.pages = pages;
        this.limit = limitOf(query);
        this.backward = parameter(query, "before_id") != null && parameter(query, "after_id") == null;
    }

    /**
     * What holds the answer to {@code request}: an owned-object answer for creating, deleting or listing
     * files and batches, the batch URL rewrite alone for the other batch metadata calls, or null when the
     * answer passes as it comes.
     *
     * @param batchUrls the rewrite for batch metadata calls, null for other calls
     */
    static HeldAnswer forRequest(ForwardedRequest request, BatchUrlRewriter batchUrls, ObjectOwners owners,
            JsonProvider json) {
        return forRequest(request, batchUrls, owners, json, null);
    }

    /**
     * The same, with what reads a filtered listing's further upstream pages.
     *
     * @param pages what asks the upstream for the pages after one with none of the caller's objects; null: none are read
     */
    static HeldAnswer forRequest(ForwardedRequest request, BatchUrlRewriter batchUrls, ObjectOwners owners,
            JsonProvider json, ListingPages pages) {
        String method = request.method();
        int question = request.target().indexOf('?');
        String query = question < 0 ? null : request.target().substring(question + 1);
        String owner = Owner.of(request.caller());
        return switch (Endpoint.of(request.path())) {
            case FILES -> method.equals("POST") ? new OwnedObjectAnswer(Action.RECORD, ObjectKind.FILE, owner, null, owners, null, json)
                    : method.equals("GET") ? new OwnedObjectAnswer(Action.FILTER, ObjectKind.FILE, owner, null, owners, null, json,
                            pages, query)
                    : null;
            case BATCHES -> method.equals("POST")
                    ? new OwnedObjectAnswer(Action.RECORD, ObjectKind.BATCH, owner, null, owners, batchUrls, json)
                    : method.equals("GET") ? new OwnedObjectAnswer(Action.FILTER, ObjectKind.BATCH, owner, null, owners, batchUrls,
                            json, pages, query)
                    : batchUrls;
            case FILE, BATCH -> method.equals("DELETE") ? ObjectRef.named(request.path())
                    .map(named -> (HeldAnswer) new OwnedObjectAnswer(Action.FORGET, named.kind(), owner, named.id(), owners,
                            null, json)).orElse(batchUrls) : batchUrls;
            default -> batchUrls;
        };
    }

    @Override
    public boolean mayPassUnheld() {
        return action != Action.FILTER;
    }

    @Override
    public CompletionStage<byte[]> answer(byte[] body) {
        return switch (action) {
            case RECORD -> record(body);
            case FORGET -> owners.forget(kind, objectId)
                    // The object is gone upstream: a record left behind names nothing anyone can reach.
                    .handle((done, failure) -> urls(body));
            case FILTER -> filter(body);
        };
    }

    private CompletionStage<byte[]> record(byte[] body) {
        JsonValue document = read(body);
        if (!(document instanceof JsonObject object) || !(object.get("id") instanceof JsonString id)) {
            // No id, nothing to own: an answer the SDKs could not use either.
            return CompletableFuture.completedFuture(urls(body));
        }
        return owners.record(kind, id.getString(), owner).handle((done, failure) -> {
            if (failure != null) {
                throw new java.util.concurrent.CompletionException(new RequestRefusedException(new ApiError(500, "api_error",
                        "the " + kind.key() + " was created, but the proxy could not record that it is yours (its token "
                                + "store did not answer), so no token can reach it; create it again once the proxy is ready",
                        RetryHint.never())));
            }
            return urls(body);
        });
    }

    private CompletionStage<byte[]> filter(byte[] body) {
        JsonObject page = listPage(body);
        if (page == null) {
            return CompletableFuture.failedFuture(new RequestRefusedException(ApiError.of(502,
                    "the Anthropic API's listing was not the list shape the proxy filters to this agent's own objects")));
        }
        return filterFrom(page, 0, false);
    }

    /**
     * Filters {@code page}, the {@code further}th page read after the client's ({@code raised}: with a
     * larger limit than the client's); reads on while it holds none of the caller's.
     */
    private CompletionStage<byte[]> filterFrom(JsonObject page, int further, boolean raised) {
        JsonArray data = page.getJsonArray("data");
        List<String> ids = new ArrayList<>(data.size());
        for (JsonValue element : data) {
            if (element instanceof JsonObject listed && listed.get("id") instanceof JsonString id) {
                ids.add(id.getString());
            }
        }
        CompletionStage<Map<String, String>> known = owners.ownersOf(kind, ids).handle((found, failure) -> {
            if (failure != null) {
                throw new java.util.concurrent.CompletionException(new RequestRefusedException(
                        ApiError.retryAfter(503, "token store unavailable", Duration.ofSeconds(1))));
            }
            return found;
        });
        return known.thenCompose(found -> {
            List<JsonValue> own = new ArrayList<>();
            for (JsonValue element : data) {
                if (element instanceof JsonObject listed && listed.get("id") instanceof JsonString id
                        && owner.equals(found.get(id.getString()))) {
                    own.add(element);
                }
            }
            boolean more = JsonValue.TRUE.equals(page.get("has_more"));
            String cursor = page.get(backward ? "first_id" : "last_id") instanceof JsonString id ? id.getString() : null;
            // An opaque cursor (next_page, for the page= parameter) goes on where the upstream says, at the client's limit.
            String opaque = page.get("next_page") instanceof JsonString id ? id.getString() : null;
            if (own.isEmpty() && (opaque != null || more && cursor != null) && pages != null && further < FURTHER_PAGES) {
                boolean raising = opaque == null;
                return pages.after(raising ? backward ? "before_id" : "after_id" : "page", raising ? cursor : opaque)
                        .thenCompose(next -> {
                    JsonObject nextPage = listPage(next);
                    if (nextPage == null) {
                        throw new java.util.concurrent.CompletionException(new RequestRefusedException(ApiError.of(502,
                                "the Anthropic API's listing was not the list shape the proxy filters to this agent's own objects")));
                    }
                    return filterFrom(nextPage, further + 1, raising);
                });
            }
            return CompletableFuture.completedFuture(urls(filtered(page, own, more, raised)));
        });
    }

    /**
     * The page the client gets: {@code own} (cut to the client's limit when read with a larger one,
     * keeping the objects nearest the cursor), its first and last id, and {@code has_more}.
     */
    private byte[] filtered(JsonObject page, List<JsonValue> own, boolean more, boolean readWithLargerLimit) {
        List<JsonValue> shown = own;
        boolean cut = readWithLargerLimit && own.size() > limit;
        if (cut) {
            shown = backward ? own.subList(own.size() - limit, own.size()) : own.subList(0, limit);
        }
        JsonArrayBuilder kept = json.createArrayBuilder();
        shown.forEach(kept::add);
        String first = shown.isEmpty() ? null : ((JsonObject) shown.get(0)).getString("id");
        String last = shown.isEmpty() ? null : ((JsonObject) shown.get(shown.size() - 1)).getString("id");
        JsonObjectBuilder rebuilt = json.createObjectBuilder();
        for (Map.Entry<String, JsonValue> member : page.entrySet()) {
            switch (member.getKey()) {
                case "data" -> rebuilt.add("data", kept);
                case "first_id" -> rebuilt.add("first_id", first == null ? JsonValue.NULL : json.createValue(first));
                case "last_id" -> rebuilt.add("last_id", last == null ? JsonValue.NULL : json.createValue(last));
                case "has_more" -> rebuilt.add("has_more", more || cut);
                default -> rebuilt.add(member.getKey(), member.getValue());
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (var writer = json.createWriter(out)) {
            writer.write(rebuilt.build());
        }
        return out.toByteArray();
    }

    /** {@code body} as a list page (a JSON object with a {@code data} array), or null. */
    private JsonObject listPage(byte[] body) {
        return read(body) instanceof JsonObject page && page.get("data") instanceof JsonArray ? page : null;
    }

    /** The client's {@code limit} (the API's default, 20, when absent or not a number in range). */
    private static int limitOf(String query) {
        String value = parameter(query, "limit");
        try {
            int parsed = value == null ? 20 : Integer.parseInt(value);
            return parsed >= 1 && parsed <= ListingPages.LIMIT ? parsed : 20;
        } catch (NumberFormatException e) {
            return 20;
        }
    }

    /** The raw value of query parameter {@code name}, or null. */
    private static String parameter(String query, String name) {
        if (query == null) {
            return null;
        }
        for (String parameter : query.split("&", -1)) {
            if (parameter.startsWith(name + "=")) {
                return parameter.substring(name.length() + 1);
            }
        }
        return null;
    }

    private byte[] urls(byte[] body) {
        return batchUrls == null ? body : batchUrls.rewrite(body);
    }

    private JsonValue read(byte[] body) {
        try (var reader = json.createReader(new ByteArrayInputStream(body))) {
            return reader.readValue();
        } catch (JsonException e) {
            // Includes JsonParsingException: not JSON.
            return null;
        }
    }
}
