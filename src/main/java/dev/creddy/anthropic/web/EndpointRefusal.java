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

    /**
     * Why {@code caller} may not send {@code method path}, or empty when it may.
     *
     * @param agentBudgeted whether the caller's agent has a rolling dollar budget ({@code agent-budgets}):
     *     like a token's own counted limits, it cannot hold a batch, whose cost is known only from its results
     */
    static Optional<ApiError> of(TokenRecord caller, String method, String path, boolean agentBudgeted) {
        TokenLimits limits = caller.limits();
        String endpoint = EndpointClass.of(path);
        if (!limits.allowsEndpoint(endpoint)) {
            return Optional.of(new ApiError(403, "permission_error", "this token may not call the " + endpoint
                    + " endpoint: it may call " + String.join(", ", limits.endpoints())
                    + "; ask for a token whose endpoints include \"" + endpoint + "\"", RetryHint.never()));
        }
        if (endpoint.equals("batches") && limits.countsTokens() && createsBatch(method, path)) {
            return Optional.of(new ApiError(403, "permission_error", "this token counts tokens or dollars (tpm, "
                    + "max_tokens_total or max_cost_usd), and the usage of a Message Batch cannot be counted when it is "
                    + "created: ask for a token without these limits to create batches", RetryHint.never()));
        }
        if (endpoint.equals("batches") && agentBudgeted && createsBatch(method, path)) {
            return Optional.of(new ApiError(403, "permission_error", "this token's agent has a dollar budget (agent-budgets), "
                    + "and a Message Batch's cost is known only from its results, after it has run: create batches as an "
                    + "agent without a dollar budget", RetryHint.never()));
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
