package dev.creddy.anthropic.forward;

import java.util.concurrent.CompletionStage;

/**
 * What the proxy does with a small 2xx JSON answer that {@link BatchMetadataResponse} holds whole before
 * the client sees any of it: re-point batch {@code results_url}s ({@link BatchUrlRewriter}), record or
 * forget who owns the object a call created or deleted, filter a listing to the caller's own objects
 * ({@link OwnedObjectAnswer}). Implementations are immutable and thread-safe.
 */
interface HeldAnswer {

    /**
     * The body the client gets instead of {@code body}. The stage may complete later, on another thread
     * (a store's answer); it completes exceptionally, with a {@link RequestRefusedException} naming the
     * client's error, when the answer must not reach the client.
     */
    CompletionStage<byte[]> answer(byte[] body);

    /**
     * Whether a 2xx answer that cannot be held (compressed, not JSON, larger than
     * {@link BatchUrlRewriter#MAX_BODY}) may reach the client unchanged. False where passing it would
     * show the client what it may not see (another agent's objects in a listing): the exchange then
     * fails with 502 instead.
     */
    boolean mayPassUnheld();
}
