package dev.creddy.anthropic.web;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.api.ApiResponses;
import dev.creddy.anthropic.config.Settings;
import dev.creddy.anthropic.forward.FailureKind;
import dev.creddy.anthropic.forward.Forwarder;
import dev.creddy.anthropic.observe.AuditEntry;
import dev.creddy.anthropic.observe.AuditLog;
import jakarta.inject.Inject;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Instant;
import java.util.Optional;

/**
 * Every {@code /v1/**} request other than the token endpoints, any method: authenticate the token,
 * choose the target, then hand both legs to the {@link Forwarder}, which streams them asynchronously.
 * Nothing a client sends can change where the request goes.
 */
@WebServlet(name = "forwarding", urlPatterns = "/v1/*", asyncSupported = true, loadOnStartup = 1)
public class ForwardingServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    @Inject
    transient TokenAuthenticator authenticator;
    @Inject
    transient Forwarder forwarder;
    @Inject
    transient Settings settings;
    @Inject
    transient ApiResponses responses;
    @Inject
    transient AuditLog audit;

    @Override
    protected void service(HttpServletRequest clientRequest, HttpServletResponse clientResponse) throws IOException {
        Authentication authentication = authenticator.authenticate(clientRequest);
        if (authentication.isRefused()) {
            if (authentication.storeUnavailable()) {
                TokenStoreOutage.hintRetry(clientResponse);
            }
            refuse(clientRequest, clientResponse, authentication.error());
            return;
        }
        RequestAttributes.tag(clientRequest, authentication.caller());
        Optional<String> unconfigured = settings.unconfiguredReason();
        if (unconfigured.isPresent()) {
            refuse(clientRequest, clientResponse, ApiError.of(503, "the proxy is not configured: " + unconfigured.get()));
            return;
        }
        if (clientRequest.getContentLengthLong() > settings.maxRequestBody()) {
            refuse(clientRequest, clientResponse, FailureKind.REQUEST_TOO_LARGE.toApiError(settings));
            return;
        }
        Optional<String> target = forwarder.requestTarget(clientRequest);
        if (target.isEmpty()) {
            refuse(clientRequest, clientResponse, ApiError.of(404, "not found: the proxy forwards only paths under /v1/"));
            return;
        }
        forwarder.forward(clientRequest, clientResponse, authentication.caller(), target.get());
    }

    private void refuse(HttpServletRequest clientRequest, HttpServletResponse clientResponse, ApiError error)
            throws IOException {
        responses.error(clientResponse, error);
        Object agent = clientRequest.getAttribute(RequestAttributes.AGENT);
        Object tokenId = clientRequest.getAttribute(RequestAttributes.TOKEN_ID);
        audit.record(new AuditEntry(Instant.now().toString(), "rejected", null,
                agent == null ? null : agent.toString(), tokenId == null ? null : tokenId.toString(),
                clientRequest.getRemoteAddr(), clientRequest.getMethod(), Forwarder.pathOf(clientRequest),
                error.status(), error.type(), 0, null));
    }
}
