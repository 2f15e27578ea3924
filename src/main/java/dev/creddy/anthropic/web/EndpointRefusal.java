package dev.creddy.anthropic.web;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.api.RetryHint;
import dev.creddy.anthropic.observe.EndpointClass;
import dev.creddy.anthropic.token.TokenLimits;
import dev.creddy.anthropic.token.TokenRecord;
import java.util.Optional;

/**
 * The 403 {@code permission_error} for a request to an endpoint its token may not call, decided before
 * anything goes upstream. Two rules:
 * <ul>
 *   <li>the token's {@code endpoints} ({@link TokenLimits#allowsEndpoint}): Files and Message Batches hold
 *       the whole workspace's prompts and answers, so a token reaches them only when it was issued for
 *       them;</li>
 *   <li>a token that counts tokens ({@code tpm} or {@code max_tokens_total}) may not create a Message
 *       Batch: a batch's usage is reported only in its results, long after the request that created it,
 *       so the proxy cannot hold such a token to its limits; it may still list, read, cancel and download
 *       batches its endpoints allow, and {@code rpm} alone does not stop it.</li>
 * </ul>
 * Stateless.
 */
final class EndpointRefusal {

    private static final String BATCHES_ROOT = "/v1/messages/batches";

    private EndpointRefusal() {
    }

    /** Why {@code caller} may not send {@code method path}, or empty when it may. */
    static Optional<ApiError> of(TokenRecord caller, String method, String path) {
        TokenLimits limits = caller.limits();
        String endpoint = EndpointClass.of(path);
        if (!limits.allowsEndpoint(endpoint)) {
            return Optional.of(new ApiError(403, "permission_error", "this token may not call the " + endpoint
                    + " endpoint: it may call " + String.join(", ", limits.endpoints())
                    + "; ask for a token whose endpoints include \"" + endpoint + "\"", RetryHint.never()));
        }
        if (endpoint.equals("batches") && limits.countsTokens() && createsBatch(method, path)) {
            return Optional.of(new ApiError(403, "permission_error", "this token counts tokens (tpm or max_tokens_total), "
                    + "and the usage of a Message Batch cannot be counted when it is created: ask for a token without "
                    + "tpm and max_tokens_total to create batches", RetryHint.never()));
        }
        return Optional.empty();
    }

    /**
     * Every POST under the batches root but a cancel creates (or may create) a batch: refusing them all
     * keeps a spelling the API might accept ({@code /v1/messages/batches/}) from slipping past.
     */
    private static boolean createsBatch(String method, String path) {
        return method.equals("POST") && !(path.length() > BATCHES_ROOT.length() + 1 && path.endsWith("/cancel"));
    }
}
