package dev.creddy.anthropic.web;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.identity.IpRange;
import dev.creddy.anthropic.token.AgentIdentity;
import java.util.Optional;

/**
 * The address binding of an identity's {@code ip_restriction}: a request from outside the block is
 * refused with 403 {@code permission_error}, whether it exchanges the identity token, forwards with the
 * token it got, or uses the identity token directly. The container's remote address is used as it
 * is: behind a front proxy it is the front proxy's, unless the container takes it from
 * X-Forwarded-For (Tomcat's RemoteIpValve). Stateless.
 */
final class IpBinding {

    private IpBinding() {
    }

    /** The refusal for a request from {@code clientAddress}, or empty when the identity allows it. */
    static Optional<ApiError> check(Optional<AgentIdentity> identity, String clientAddress) {
        Optional<String> restriction = identity.flatMap(AgentIdentity::ipRestrictionIfAny);
        if (restriction.isEmpty()) {
            return Optional.empty();
        }
        boolean inside;
        try {
            inside = IpRange.parse(restriction.get()).contains(clientAddress);
        } catch (IllegalArgumentException e) {
            // Checked when the identity was verified; a record that no longer parses binds to nothing.
            inside = false;
        }
        if (inside) {
            return Optional.empty();
        }
        return Optional.of(ApiError.of(403, "this token may be used only from " + restriction.get()
                + " (the ip_restriction of the identity it was issued to); this request comes from " + clientAddress));
    }
}
