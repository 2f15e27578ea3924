package dev.creddy.anthropic.web;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.api.ErrorResponder;
import dev.creddy.anthropic.api.JsonCodec;
import dev.creddy.anthropic.config.Settings;
import dev.creddy.anthropic.forward.Forwarder;
import dev.creddy.anthropic.observe.AuditEntry;
import dev.creddy.anthropic.observe.AuditLog;
import dev.creddy.anthropic.token.IssuedToken;
import dev.creddy.anthropic.token.TokenId;
import dev.creddy.anthropic.token.TokenRegistry;
import dev.creddy.anthropic.token.TokenStoreUnavailableException;
import jakarta.inject.Inject;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code POST /v1/tokens}: issues a short-lived token to an authorized issuer;
 * {@code DELETE /v1/tokens/{id}}: revokes one (204, or 404 when there is no live token with that id).
 * Parses, calls the registry, writes; the rules live in {@link TokenRequest} and
 * {@link IssuerAuthorization}. When the token store cannot be reached, both answer 503.
 */
@WebServlet(name = "tokens", urlPatterns = {"/v1/tokens", "/v1/tokens/*"}, loadOnStartup = 1)
public class TokenServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    static final int MAX_BODY_BYTES = 64 * 1024;

    @Inject
    transient TokenRegistry registry;
    @Inject
    transient IssuerAuthorization issuers;
    @Inject
    transient Settings settings;
    @Inject
    transient JsonCodec json;
    @Inject
    transient ErrorResponder errors;
    @Inject
    transient AuditLog audit;

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String pathInfo = request.getPathInfo();
        boolean oneToken = pathInfo != null && !pathInfo.equals("/");
        String allowed = oneToken ? "DELETE" : "POST";
        if (!request.getMethod().equals(allowed)) {
            response.setHeader("Allow", allowed);
            errors.send(response, ApiError.of(405, "method " + request.getMethod() + " is not allowed on "
                    + (oneToken ? "/v1/tokens/{id}" : "/v1/tokens") + ": use " + allowed));
            return;
        }
        Optional<ApiError> refused = issuers.check(request);
        if (refused.isPresent()) {
            errors.send(response, refused.get());
            return;
        }
        try {
            if (oneToken) {
                revoke(request, response, pathInfo.substring(1));
            } else {
                issue(request, response);
            }
        } catch (TokenStoreUnavailableException e) {
            TokenStoreOutage.send(errors, response);
        }
    }

    private void issue(HttpServletRequest request, HttpServletResponse response) throws IOException {
        TokenRequest tokenRequest;
        try {
            tokenRequest = TokenRequest.parse(body(request), settings.defaultTtl(), settings.maxTtl());
        } catch (BodyTooLargeException e) {
            errors.send(response, ApiError.of(413, "a token request body must be at most " + MAX_BODY_BYTES + " bytes"));
            return;
        } catch (IllegalArgumentException e) {
            errors.send(response, ApiError.of(400, e.getMessage()));
            return;
        }
        IssuedToken issued = registry.issue(tokenRequest.agentName(), tokenRequest.ttl());
        byte[] body = json.toJsonBytes(TokenResponse.of(issued, tokenRequest.ttl()));
        response.setStatus(HttpServletResponse.SC_CREATED);
        response.setContentType("application/json");
        // The body carries a secret: no cache anywhere may keep it.
        response.setHeader("Cache-Control", "no-store");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
        audit.record(new AuditEntry(Instant.now().toString(), "token_issued", null, issued.record().agentName(),
                issued.record().id().value(), request.getRemoteAddr(), request.getMethod(), Forwarder.pathOf(request),
                HttpServletResponse.SC_CREATED, "issued", 0, null));
    }

    private void revoke(HttpServletRequest request, HttpServletResponse response, String id) throws IOException {
        // A malformed id names no token either; the answer does not repeat it.
        if (!TokenId.isWellFormed(id) || !registry.revoke(new TokenId(id))) {
            errors.send(response, ApiError.of(404, "no live token has that id"));
            return;
        }
        response.setStatus(HttpServletResponse.SC_NO_CONTENT);
        audit.record(new AuditEntry(Instant.now().toString(), "token_revoked", null, null, id, request.getRemoteAddr(),
                request.getMethod(), Forwarder.pathOf(request), HttpServletResponse.SC_NO_CONTENT, "revoked", 0, null));
    }

    /** The body as text, refusing non-JSON content types and anything over the limit. */
    private static String body(HttpServletRequest request) throws IOException {
        long declared = request.getContentLengthLong();
        if (declared > MAX_BODY_BYTES) {
            throw new BodyTooLargeException();
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        byte[] chunk = new byte[8192];
        try (InputStream in = request.getInputStream()) {
            for (int read; (read = in.read(chunk)) >= 0; ) {
                if (body.size() + read > MAX_BODY_BYTES) {
                    throw new BodyTooLargeException();
                }
                body.write(chunk, 0, read);
            }
        }
        if (body.size() > 0) {
            String contentType = request.getContentType();
            if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("application/json")) {
                throw new IllegalArgumentException("send the token request as JSON with Content-Type: application/json");
            }
        }
        return body.toString(StandardCharsets.UTF_8);
    }

    /** The body passed {@link #MAX_BODY_BYTES}. */
    private static final class BodyTooLargeException extends IOException {
        private static final long serialVersionUID = 1L;
    }
}
