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
 * objects taken out: it can hold fewer than {@code limit} objects, or none. {@code has_more} stays the
 * upstream's (more of the workspace follows, some of which may be the caller's); {@code first_id} and
 * {@code last_id} become the first and last object the caller sees (null on an empty page), so they
 * never name another agent's object, and paging on with {@code after_id=last_id} or
 * {@code before_id=first_id} goes on from there, as the API documents, and re-reads no object of the
 * caller's twice. Other members (an opaque {@code next_page} cursor) pass unchanged. An empty page
 * carries no cursor, so a pager stops there, as the SDKs' pagers stop on any empty page; a listing
 * with the largest {@code limit} (1000) makes that rare.
 *
 * <p>A listing answer that cannot be read (not a JSON object with a {@code data} array) fails the
 * exchange with 502: never shown unfiltered. A create whose owner cannot be recorded (the store
 * is unreachable) is answered 500 with {@code x-should-retry: false}: the object exists upstream but
 * no token can reach it, and an automatic retry would create (and, for a batch, pay for) another.
 *
 * <p>Immutable and thread-safe.
 */
final class OwnedObjectAnswer implements HeldAnswer {

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

    OwnedObjectAnswer(Action action, ObjectKind kind, String owner, String objectId, ObjectOwners owners,
            BatchUrlRewriter batchUrls, JsonProvider json) {
        this.action = action;
        this.kind = kind;
        this.owner = owner;
        this.objectId = objectId;
        this.owners = owners;
        this.batchUrls = batchUrls;
        this.json = json;
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
        String method = request.method();
        String owner = Owner.of(request.caller());
        return switch (Endpoint.of(request.path())) {
            case FILES -> method.equals("POST") ? new OwnedObjectAnswer(Action.RECORD, ObjectKind.FILE, owner, null, owners, null, json)
                    : method.equals("GET") ? new OwnedObjectAnswer(Action.FILTER, ObjectKind.FILE, owner, null, owners, null, json)
                    : null;
            case BATCHES -> method.equals("POST")
                    ? new OwnedObjectAnswer(Action.RECORD, ObjectKind.BATCH, owner, null, owners, batchUrls, json)
                    : method.equals("GET") ? new OwnedObjectAnswer(Action.FILTER, ObjectKind.BATCH, owner, null, owners, batchUrls, json)
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
        JsonValue document = read(body);
        if (!(document instanceof JsonObject page) || !(page.get("data") instanceof JsonArray data)) {
            return CompletableFuture.failedFuture(new RequestRefusedException(ApiError.of(502,
                    "the Anthropic API's listing was not the list shape the proxy filters to this agent's own objects")));
        }
        List<String> ids = new ArrayList<>(data.size());
        for (JsonValue element : data) {
            if (element instanceof JsonObject listed && listed.get("id") instanceof JsonString id) {
                ids.add(id.getString());
            }
        }
        return owners.ownersOf(kind, ids).handle((known, failure) -> {
            if (failure != null) {
                throw new java.util.concurrent.CompletionException(new RequestRefusedException(
                        ApiError.retryAfter(503, "token store unavailable", Duration.ofSeconds(1))));
            }
            return urls(filtered(page, data, known));
        });
    }

    private byte[] filtered(JsonObject page, JsonArray data, Map<String, String> known) {
        JsonArrayBuilder kept = json.createArrayBuilder();
        String first = null;
        String last = null;
        for (JsonValue element : data) {
            if (element instanceof JsonObject listed && listed.get("id") instanceof JsonString id
                    && owner.equals(known.get(id.getString()))) {
                kept.add(element);
                first = first == null ? id.getString() : first;
                last = id.getString();
            }
        }
        JsonObjectBuilder rebuilt = json.createObjectBuilder();
        for (Map.Entry<String, JsonValue> member : page.entrySet()) {
            switch (member.getKey()) {
                case "data" -> rebuilt.add("data", kept);
                case "first_id" -> rebuilt.add("first_id", first == null ? JsonValue.NULL : json.createValue(first));
                case "last_id" -> rebuilt.add("last_id", last == null ? JsonValue.NULL : json.createValue(last));
                default -> rebuilt.add(member.getKey(), member.getValue());
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (var writer = json.createWriter(out)) {
            writer.write(rebuilt.build());
        }
        return out.toByteArray();
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
