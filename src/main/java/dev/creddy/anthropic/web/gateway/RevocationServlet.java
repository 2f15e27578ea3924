package dev.creddy.anthropic.web.gateway;

import dev.creddy.anthropic.token.TokenRecord;
import dev.creddy.anthropic.token.TokenRegistry;
import dev.creddy.anthropic.token.TokenSecrets;
import dev.creddy.anthropic.token.TokenStoreUnavailableException;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Optional;

/**
 * {@code POST /oauth/revoke}: RFC 7009, what Claude Code calls at sign-out with its access token and then
 * its refresh token. Either ends the sign-in; the access token is revoked at once. Always 200, as §2.2
 * asks, also for a token that was not valid.
 */
public class RevocationServlet extends GatewayServlet {

    private static final long serialVersionUID = 1L;

    @Inject
    transient TokenRegistry registry;

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (!enabled(request, response)) {
            return;
        }
        String token = request.getParameter("token");
        if (token == null || token.isEmpty()) {
            OAuthResponses.error(response, 400, "invalid_request", "token is missing");
            return;
        }
        try {
            if (TokenSecrets.isWellFormed(token)) {
                Optional<TokenRecord> record = registry.validate(token);
                if (record.isPresent()) {
                    signIn.revokeAccess(record.get().id());
                    registry.revoke(record.get().id());
                }
            } else {
                signIn.revokeRefresh(token);
            }
        } catch (TokenStoreUnavailableException e) {
            response.setHeader("Retry-After", "1");
            OAuthResponses.error(response, 503, "temporarily_unavailable", "token store unavailable");
            return;
        }
        response.setStatus(200);
        response.setHeader("Cache-Control", "no-store");
        response.setContentLength(0);
    }
}
