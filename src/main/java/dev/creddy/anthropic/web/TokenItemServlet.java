package dev.creddy.anthropic.web;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.api.ApiResponses;
import dev.creddy.anthropic.observe.AuditLog;
import dev.creddy.anthropic.token.TokenId;
import dev.creddy.anthropic.token.TokenRecord;
import dev.creddy.anthropic.token.TokenRegistry;
import dev.creddy.anthropic.token.RevocationNotReplicatedException;
import dev.creddy.anthropic.token.TokenStoreUnavailableException;
import dev.creddy.anthropic.usage.UsageLedger;
import jakarta.inject.Inject;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * One token: {@code DELETE /v1/tokens/{id}} revokes it (issuer); {@code GET} and {@code DELETE}
 * on {@code /v1/tokens/self} show or give back the token the caller presents, so an agent can
 * return its token when done. A revoked token is refused from the very next request.
 */
@WebServlet(name = "token-item", urlPatterns = "/v1/tokens/*", loadOnStartup = 1)
public class TokenItemServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private static final String SELF = "self";

    @Inject
    transient dev.creddy.anthropic.config.Settings spendSettings;
    @Inject
    transient TokenRegistry registry;
    @Inject
    transient TokenAuthenticator authenticator;
    @Inject
    transient IssuerAuthorization issuers;
    @Inject
    transient ApiResponses responses;
    @Inject
    transient AuditLog audit;
    @Inject
    transient UsageLedger ledger;

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        try {
            dispatch(request, response);
        } catch (TokenStoreUnavailableException e) {
            TokenStoreOutage.send(responses, response);
        } catch (RevocationNotReplicatedException e) {
            // A token given back (DELETE /v1/tokens/self) whose revocation the replicas did not acknowledge.
            responses.error(response, notReplicated(e));
        }
    }

    /** 503 saying that the revocation stands on the primary but not yet on enough replicas, and to send it again. */
    private static ApiError notReplicated(RevocationNotReplicatedException e) {
        return ApiError.retryAfter(503, e.getMessage(), Duration.ofSeconds(1));
    }

    private void dispatch(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String name = request.getPathInfo() == null ? "" : request.getPathInfo().substring(1);
        String method = request.getMethod();
        if (name.equals(SELF)) {
            if (method.equals("GET") || method.equals("DELETE")) {
                self(request, response, method.equals("DELETE"));
            } else {
                methodNotAllowed(response, method, "GET, DELETE");
            }
        } else if (TokenId.isWellFormed(name)) {
            if (method.equals("DELETE")) {
                revoke(request, response, new TokenId(name));
            } else {
                methodNotAllowed(response, method, "DELETE");
            }
        } else {
            responses.error(response, ApiError.of(404, "not found: use /v1/tokens/{id} with a token id such as "
                    + "tok_3q2fJ5kQx0bXH1aR, or /v1/tokens/self"));
        }
    }

    private void self(HttpServletRequest request, HttpServletResponse response, boolean giveBack) throws IOException {
        Authentication authentication = authenticator.authenticate(request);
        if (authentication.isRefused()) {
            responses.error(response, authentication.error());
            audit.record(ForwardingServlet.rejection(request, null, authentication.error(), authentication.reason()));
            return;
        }
        TokenRecord caller = authentication.caller();
        RequestAttributes.tag(request, caller);
        if (!giveBack) {
            responses.json(response, HttpServletResponse.SC_OK,
                    TokenSummary.of(caller, TokenUsageView.of(ledger.usageOf(caller, Instant.now()),
                            caller.limits().countsBeforeForwarding()), spend(caller)));
            return;
        }
        if (authentication.direct()) {
            responses.error(response, ApiError.of(400, "an identity token cannot be given back here: it ends at its "
                    + "own expiry, or when its issuer revokes it"));
            return;
        }
        registry.revoke(caller.id());
        responses.noContent(response);
        audit.record(TokenServlet.tokenEvent("token_returned", caller, request, HttpServletResponse.SC_NO_CONTENT));
    }

    private void revoke(HttpServletRequest request, HttpServletResponse response, TokenId id) throws IOException {
        Optional<ApiError> refused = issuers.check(request);
        if (refused.isPresent()) {
            responses.error(response, refused.get());
            return;
        }
        // Looked up first, for the audit line's agent: after the revocation the record is gone.
        Optional<TokenRecord> revoked = TokenById.find(registry, id);
        boolean found;
        try {
            found = registry.revoke(id);
        } catch (RevocationNotReplicatedException e) {
            responses.error(response, notReplicated(e));
            if (e.found()) {
                audit.record(revoked.map(record -> TokenServlet.tokenEvent("token_revoked", record, request, 503))
                        .orElseGet(() -> TokenServlet.tokenEvent("token_revoked", null, id, request, 503)));
            }
            return;
        }
        if (!found) {
            responses.error(response, ApiError.of(404, "no live token has the id " + id));
            return;
        }
        responses.noContent(response);
        audit.record(revoked.map(record -> TokenServlet.tokenEvent("token_revoked", record, request, HttpServletResponse.SC_NO_CONTENT))
                .orElseGet(() -> TokenServlet.tokenEvent("token_revoked", null, id, request, HttpServletResponse.SC_NO_CONTENT)));
    }

    private void methodNotAllowed(HttpServletResponse response, String method, String allowed) throws IOException {
        response.setHeader("Allow", allowed);
        responses.error(response, ApiError.of(405, "method " + method + " is not allowed here: use " + allowed));
    }

    /** What the token (and its agent) spent in dollars; shown whether or not a budget holds them. */
    private SpendView spend(TokenRecord caller) {
        Long perDay = spendSettings.agentBudgets().get(caller.agentName());
        return SpendView.of(ledger.spendOf(caller, Instant.now()), caller.limits().maxCostUsd(),
                perDay == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(perDay));
    }
}
