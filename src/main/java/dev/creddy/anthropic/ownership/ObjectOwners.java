package dev.creddy.anthropic.ownership;

import dev.creddy.anthropic.token.TokenStoreUnavailableException;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Who created each file and Message Batch that went through the proxy ({@link Owner}), so that no
 * agent reaches another's. Recorded from the upstream's answer to the create call; consulted before
 * any call that names an object, and to filter listings. An id the store does not know (an object
 * created before the proxy recorded owners, with the real key elsewhere, or one that never existed)
 * has no owner, and no token reaches it: the proxy fails closed.
 *
 * <p>Implementations are thread-safe. The asynchronous methods never block their caller (they are
 * called on HttpClient's reactor threads) and complete exceptionally with
 * {@link TokenStoreUnavailableException} when the store cannot answer.
 */
public interface ObjectOwners {

    /** Records {@code owner} as the creator of {@code id}; the stage completes once the record is stored. */
    CompletionStage<Void> record(ObjectKind kind, String id, String owner);

    /**
     * The owner of {@code id}, or empty when none is recorded. Waits for the store, at most its
     * command timeout.
     *
     * @throws TokenStoreUnavailableException when the store cannot answer
     */
    Optional<String> ownerOf(ObjectKind kind, String id);

    /** The recorded owners of those of {@code ids} that have one. */
    CompletionStage<Map<String, String>> ownersOf(ObjectKind kind, Collection<String> ids);

    /** Drops the record of a deleted object. */
    CompletionStage<Void> forget(ObjectKind kind, String id);
}
