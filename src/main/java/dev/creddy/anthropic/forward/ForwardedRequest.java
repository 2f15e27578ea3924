package dev.creddy.anthropic.forward;

import dev.creddy.anthropic.token.TokenRecord;
import dev.creddy.anthropic.usage.Admission;
import java.util.Objects;

/**
 * The facts about one forwarded request, worked out once by the servlet and passed on as a value:
 * nothing downstream asks the servlet request for its path or its limit again. Immutable; it holds
 * no secret (the caller's record holds only the token's hash and id).
 *
 * @param method the client's method, as sent
 * @param path the container's decoded, normalised path within the application, e.g. {@code /v1/messages}
 * @param target the upstream request-target (path and query, encoded again)
 * @param bodyLimit the largest body forwarded for this request (see {@link BodyLimits})
 * @param caller the authenticated token
 * @param admission how the token stood against its counted limits when admitted; null when it has none
 * @param clientAddress the client's address, read before the container may recycle the request
 */
public record ForwardedRequest(String method, String path, String target, long bodyLimit, TokenRecord caller,
        Admission admission, String clientAddress) {

    public ForwardedRequest {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(caller, "caller");
    }

    /** Whether the request is a batch's metadata, whose {@code results_url}s the proxy re-points. */
    public boolean isBatchMetadata() {
        return BatchUrlRewriter.isBatchMetadata(method, path);
    }
}
