package dev.creddy.anthropic.web.gateway;

import dev.creddy.anthropic.signin.DeviceSignIn;
import dev.creddy.anthropic.token.TokenStoreUnavailableException;
import jakarta.json.Json;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Optional;

/**
 * {@code POST /oauth/device_authorization}: RFC 8628 §3.1–3.2. Unauthenticated; every form parameter
 * ({@code surface=claude_code}, or none) is accepted and ignored, as the protocol asks. Limited per
 * client address, since each answer holds state until it expires.
 */
public class DeviceAuthorizationServlet extends GatewayServlet {

    private static final long serialVersionUID = 1L;
    private static final RateLimiter PER_ADDRESS = new RateLimiter(30);

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (!enabled(request, response)) {
            return;
        }
        if (!PER_ADDRESS.allow(request.getRemoteAddr())) {
            OAuthResponses.error(response, 429, "slow_down", "too many sign-in attempts from this address; wait a minute");
            return;
        }
        Optional<DeviceSignIn.Started> started;
        try {
            started = signIn.start();
        } catch (TokenStoreUnavailableException e) {
            response.setHeader("Retry-After", "1");
            OAuthResponses.error(response, 503, "temporarily_unavailable", "token store unavailable");
            return;
        }
        if (started.isEmpty()) {
            response.setHeader("Retry-After", "60");
            OAuthResponses.error(response, 503, "temporarily_unavailable", "too many sign-ins are in progress; try again shortly");
            return;
        }
        String verification = base(request) + "/device";
        OAuthResponses.json(response, 200, Json.createObjectBuilder()
                .add("device_code", started.get().deviceCode())
                .add("user_code", started.get().userCode())
                .add("verification_uri", verification)
                .add("verification_uri_complete", verification + "?user_code=" + started.get().userCode())
                .add("expires_in", started.get().expiresIn().toSeconds())
                .add("interval", dev.creddy.anthropic.signin.DeviceGrant.INTERVAL.toSeconds())
                .build());
    }
}
