package dev.creddy.anthropic.forward;

import dev.creddy.anthropic.ownership.ObjectKind;
import java.util.Optional;

/**
 * The one file or Message Batch a call names by id: {@code /v1/files/{id}} and its {@code /content},
 * {@code /v1/messages/batches/{id}} and its {@code /cancel} and {@code /results}. Immutable.
 *
 * @param kind a file or a batch
 * @param id the id, as the container decoded the path segment
 */
public record ObjectRef(ObjectKind kind, String id) {

    /** The object {@code path} names, or empty when it names none (a listing, a create, anything else). */
    public static Optional<ObjectRef> named(String path) {
        return switch (Endpoint.of(path)) {
            case FILE, FILE_CONTENT -> Optional.of(new ObjectRef(ObjectKind.FILE, segment(path, 2)));
            case BATCH, BATCH_CANCEL, BATCH_RESULTS -> Optional.of(new ObjectRef(ObjectKind.BATCH, segment(path, 3)));
            default -> Optional.empty();
        };
    }

    /** Segment {@code index} of {@code /v1/…}, counting {@code v1} as 0; the endpoint's shape has been checked. */
    private static String segment(String path, int index) {
        return path.substring(1).split("/", -1)[index];
    }
}
