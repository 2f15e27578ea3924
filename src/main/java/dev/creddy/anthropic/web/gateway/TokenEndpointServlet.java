package dev.creddy.anthropic.web.gateway;

import dev.creddy.anthropic.observe.AuditEntry;
import dev.creddy.anthropic.observe.AuditLog;
import dev.creddy.anthropic.signin.DeviceSignIn;
import dev.creddy.anthropic.token.TokenStoreUnavailableException;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * {@code POST /oauth/token}: the device-code grant (RFC 8628 §3.4) and the refresh grant (RFC 6749 §6),
 * form-encoded, public client, as the Claude Code gateway protocol lists them. Issued access tokens are
 * audited like any other issuance.
 */
public class TokenEndpointServlet extends GatewayServlet {

    private static final long serialVersionUID = 1L;
    static final String DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code";

    @Inject
    transient AuditLog audit;

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (!enabled(request, response)) {
            return;
        }
        String grant = request.getParameter("grant_type");
        DeviceSignIn.Outcome outcome;
        try {
            if (DEVICE_CODE.equals(grant)) {
                String deviceCode = request.getParameter("device_code");
                if (deviceCode == null || deviceCode.isEmpty()) {
                    OAuthResponses.error(response, 400, "invalid_request", "device_code is missing");
                    return;
                }
                outcome = signIn.exchangeDeviceCode(deviceCode);
            } else if ("refresh_token".equals(grant)) {
                String refresh = request.getParameter("refresh_token");
                if (refresh == null || refresh.isEmpty()) {
                    OAuthResponses.error(response, 400, "invalid_request", "refresh_token is missing");
                    return;
                }
                outcome = signIn.refresh(refresh);
            } else {
                OAuthResponses.error(response, 400, "unsupported_grant_type", "grant_type must be " + DEVICE_CODE
                        + " or refresh_token");
                return;
            }
        } catch (TokenStoreUnavailableException e) {
            response.setHeader("Retry-After", "1");
            OAuthResponses.error(response, 503, "temporarily_unavailable", "token store unavailable");
            return;
        }
        if (outcome instanceof DeviceSignIn.Outcome.Tokens tokens) {
            OAuthResponses.json(response, 200, Json.createObjectBuilder()
                    .add("access_token", tokens.access().secret())
                    .add("token_type", "Bearer")
                    .add("expires_in", tokens.expiresIn().toSeconds())
                    .add("refresh_token", tokens.refreshToken())
                    .build());
            audit.record(AuditEntry.tokenEvent("token_issued", tokens.access().record().agentName(),
                    tokens.access().record().id().value(), request.getRemoteAddr(), "POST", "/oauth/token", 200,
                    tokens.access().record().identity().orElse(null)));
        } else if (outcome instanceof DeviceSignIn.Outcome.Refused refused) {
            OAuthResponses.error(response, refused.status(), refused.code(), refused.description());
        }
    }
}
