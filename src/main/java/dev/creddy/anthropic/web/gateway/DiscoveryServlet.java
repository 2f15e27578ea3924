package dev.creddy.anthropic.web.gateway;

import jakarta.json.Json;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * {@code GET /.well-known/oauth-authorization-server}: RFC 8414 metadata, as the Claude Code gateway
 * protocol's discovery step reads it (device authorization, token and revocation endpoints on the same
 * origin as the base URL, the device-code and refresh grants, public clients, protocol version 1).
 */
public class DiscoveryServlet extends GatewayServlet {

    private static final long serialVersionUID = 1L;
    /** The gateway protocol version the Claude Code gateway protocol document describes. */
    static final int GATEWAY_PROTOCOL_VERSION = 1;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (!enabled(request, response)) {
            return;
        }
        String base = base(request);
        OAuthResponses.json(response, 200, Json.createObjectBuilder()
                .add("issuer", base)
                .add("device_authorization_endpoint", base + "/oauth/device_authorization")
                .add("token_endpoint", base + "/oauth/token")
                .add("revocation_endpoint", base + "/oauth/revoke")
                .add("grant_types_supported", Json.createArrayBuilder().add(TokenEndpointServlet.DEVICE_CODE).add("refresh_token"))
                .add("response_types_supported", Json.createArrayBuilder())
                .add("token_endpoint_auth_methods_supported", Json.createArrayBuilder().add("none"))
                .add("gateway_protocol_version", GATEWAY_PROTOCOL_VERSION)
                .build());
    }
}
