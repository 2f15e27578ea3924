package dev.creddy.anthropic.web;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.forward.Endpoint;
import dev.creddy.anthropic.forward.ObjectRef;
import dev.creddy.anthropic.observe.EndpointClass;
import dev.creddy.anthropic.ownership.ObjectOwners;
import dev.creddy.anthropic.ownership.Owner;
import dev.creddy.anthropic.token.TokenRecord;
import dev.creddy.anthropic.token.TokenStoreUnavailableException;
import java.util.Optional;

/**
 * Decides, before anything goes upstream, whether a call that names one file or Message Batch
 * (retrieve, download, delete, cancel, results) may reach it: only when the object was created through
 * the proxy by a token of the same agent ({@link Owner}). Listings and creates are handled on their
 * answers (forward's {@code OwnedObjectAnswer}).
 *
 * <p><b>404, not 403.</b> Another agent's object is answered exactly as an id that does not exist:
 * 404 {@code not_found_error}, the answer Anthropic gives for an unknown id, with one message for both.
 * A 403 would confirm that the id names a real object of someone else's, which is itself something
 * one agent should not learn about another. The audit line tells the operator which it was
 * ({@code object_of_another_agent} or {@code object_unknown}).
 *
 * <p><b>Fail closed.</b> An id with no recorded owner (created with the real key, or through a proxy
 * that did not record owners yet, or never created) is refused for every token: there is no
 * workspace-wide grant, since a token that reaches every file is the hole this closes. Such an object
 * is reached with the real key, or uploaded again through the agent's token. A spelling of the Files
 * or Batches paths that is not exactly one of the API's shapes is refused with 404 for every token,
 * so no spelling reaches an object (or an unfiltered listing) past this check. While the store cannot
 * answer, the call is refused with 503 (retry).
 *
 * <p>Stateless; the store is thread-safe.
 */
final class ObjectAccess {

    /** A refusal and the audit reason for it. */
    record Refusal(ApiError error, String reason) {
    }

    private ObjectAccess() {
    }

    /** Why {@code caller} may not send {@code method path}, or empty when it may. */
    static Optional<Refusal> check(ObjectOwners owners, TokenRecord caller, String path) {
        String endpoint = EndpointClass.of(path);
        if (!endpoint.equals("files") && !endpoint.equals("batches")) {
            return Optional.empty();
        }
        if (Endpoint.of(path) == Endpoint.UNKNOWN) {
            return Optional.of(new Refusal(ApiError.of(404, "not found: " + path
                    + " is not an Anthropic API endpoint the proxy knows (check the spelling)"), "unknown_endpoint"));
        }
        Optional<ObjectRef> named = ObjectRef.named(path);
        if (named.isEmpty()) {
            return Optional.empty();
        }
        Optional<String> owner;
        try {
            owner = owners.ownerOf(named.get().kind(), named.get().id());
        } catch (TokenStoreUnavailableException e) {
            return Optional.of(new Refusal(TokenStoreOutage.ERROR, "token_store_unavailable"));
        }
        if (owner.isPresent() && owner.get().equals(Owner.of(caller))) {
            return Optional.empty();
        }
        ApiError notFound = ApiError.of(404, "not found: this agent has no " + named.get().kind().key()
                + " with this id (the proxy reaches only the files and batches an agent created through it)");
        return Optional.of(new Refusal(notFound, owner.isPresent() ? "object_of_another_agent" : "object_unknown"));
    }
}
