package dev.creddy.anthropic.web;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.api.ApiResponses;
import dev.creddy.anthropic.config.Settings;
import dev.creddy.anthropic.forward.Forwarder;
import dev.creddy.anthropic.identity.AgentIdentities;
import dev.creddy.anthropic.identity.AgentTokenRefusedException;
import dev.creddy.anthropic.identity.AgentTokenVerifier;
import dev.creddy.anthropic.identity.VerifiedAgent;
import dev.creddy.anthropic.observe.AuditEntry;
import dev.creddy.anthropic.observe.AuditLog;
import dev.creddy.anthropic.signin.DeviceSignIn;
import dev.creddy.anthropic.token.AgentNames;
import dev.creddy.anthropic.token.IssuedToken;
import dev.creddy.anthropic.token.TokenGrant;
import dev.creddy.anthropic.token.TokenId;
import dev.creddy.anthropic.token.TokenRecord;
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
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code /v1/tokens}: {@code POST} issues a token, {@code GET} lists the live ones (paged), and
 * {@code DELETE ?subject=…} revokes every token of one identity subject and ends its gateway sign-ins,
 * all for an authorized issuer. Parses, calls the registry, writes; the rules live in {@link TokenRequest}
 * and {@link IssuerAuthorization}. When the token store cannot be reached, both answer 503.
 *
 * <p>When identity tokens are accepted ({@code oidc-issuer}), an agent may also {@code POST} with its
 * own identity token as the bearer credential: the token it gets is named by the identity (the body
 * cannot rename it), lives no longer than the identity token, records the identity, and has the
 * limits {@code oidc-policy} sets for the agent or its scope. Such a caller can only issue for
 * itself: it cannot list or revoke.
 */
@WebServlet(name = "tokens", urlPatterns = "/v1/tokens", loadOnStartup = 1)
public class TokenServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    static final int MAX_BODY_BYTES = 64 * 1024;
    static final int DEFAULT_PAGE = 20;
    static final int MAX_PAGE = 1000;

    @Inject
    transient TokenRegistry registry;
    @Inject
    transient IssuerAuthorization issuers;
    @Inject
    transient Settings settings;
    @Inject
    transient ApiResponses responses;
    @Inject
    transient AuditLog audit;
    @Inject
    transient AgentIdentities identities;
    @Inject
    transient DeviceSignIn signIn;

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String method = request.getMethod();
        // DELETE is for one subject's tokens (?subject=…); the collection itself cannot be deleted.
        boolean subjectDelete = method.equals("DELETE") && request.getParameter("subject") != null;
        if (!method.equals("POST") && !method.equals("GET") && !subjectDelete) {
            response.setHeader("Allow", "GET, POST");
            responses.error(response, ApiError.of(405, "method " + method + " is not allowed on /v1/tokens: use POST to "
                    + "issue a token or GET to list them (DELETE /v1/tokens?subject=… revokes one subject's tokens)"));
            return;
        }
        Optional<AgentTokenVerifier> verifier = identities.verifier();
        String bearer = ContainerCredentials.bearer(request);
        if (verifier.isPresent() && bearer != null && AgentTokenVerifier.looksLikeJwt(bearer) && !issuers.isIssuer(request)) {
            if (method.equals("POST")) {
                try {
                    exchange(request, response, verifier.get(), bearer);
                } catch (TokenStoreUnavailableException e) {
                    TokenStoreOutage.send(responses, response);
                }
            } else {
                responses.error(response, ApiError.of(403, "an identity token can only be exchanged for a token of its own "
                        + "(POST /v1/tokens); listing tokens requires the issuer key"));
            }
            return;
        }
        Optional<ApiError> refused = issuers.check(request);
        if (refused.isPresent()) {
            responses.error(response, refused.get());
            return;
        }
        try {
            if (method.equals("POST")) {
                issue(request, response);
            } else if (method.equals("DELETE")) {
                revokeSubject(request, response);
            } else {
                list(request, response);
            }
        } catch (TokenStoreUnavailableException e) {
            TokenStoreOutage.send(responses, response);
        }
    }

    private void issue(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Optional<TokenRequest> tokenRequest = tokenRequest(request, response);
        if (tokenRequest.isEmpty()) {
            return;
        }
        IssuedToken issued = registry.issue(new TokenGrant(tokenRequest.get().agentName(), tokenRequest.get().ttl(),
                tokenRequest.get().limits()));
        created(request, response, issued, tokenRequest.get().ttl());
    }

    /**
     * Issues a token to the agent its identity token proves, for no longer than the identity token
     * lives. The identity is checked before the body is read.
     */
    private void exchange(HttpServletRequest request, HttpServletResponse response, AgentTokenVerifier verifier, String jwt)
            throws IOException {
        VerifiedAgent agent;
        try {
            agent = verifier.verify(jwt);
        } catch (AgentTokenRefusedException e) {
            ApiError error = IdentityRefusal.error(e);
            responses.error(response, error);
            audit.record(ForwardingServlet.rejection(request, null, error, IdentityRefusal.reason(e)));
            return;
        }
        Optional<ApiError> elsewhere = IpBinding.check(Optional.of(agent.identity()), request.getRemoteAddr());
        if (elsewhere.isPresent()) {
            responses.error(response, elsewhere.get());
            audit.record(ForwardingServlet.rejection(request, null, elsewhere.get(), "ip_restricted"));
            return;
        }
        Optional<TokenRequest> tokenRequest = tokenRequest(request, response);
        if (tokenRequest.isEmpty()) {
            return;
        }
        if (tokenRequest.get().agentNamed() && !tokenRequest.get().agentName().equals(agent.agentName())) {
            responses.error(response, ApiError.of(400, "agent_name comes from your identity token (\"" + agent.agentName()
                    + "\"); leave it out of the request, or send that very name"));
            return;
        }
        if (tokenRequest.get().limitsNamed()) {
            // The agent asks for its own token: letting it choose its limits would let it lift them.
            responses.error(response, ApiError.of(400, "the limits of a token obtained with an identity token come from "
                    + "the proxy's oidc-policy (or default-limits); leave rpm, tpm, max_tokens_total, models, endpoints and max_concurrent out"));
            return;
        }
        Instant now = Instant.now();
        Duration remaining = Duration.between(now.truncatedTo(ChronoUnit.SECONDS), agent.expiresAt())
                .truncatedTo(ChronoUnit.SECONDS);
        Duration ttl = tokenRequest.get().ttl().compareTo(remaining) < 0 ? tokenRequest.get().ttl() : remaining;
        if (ttl.getSeconds() < 1) {
            responses.error(response, ApiError.of(401, "invalid identity token: it expires within a second; get a fresh one"));
            return;
        }
        IssuedToken issued = registry.issue(new TokenGrant(agent.agentName(), ttl, agent.limits(), Optional.of(agent.identity())));
        created(request, response, issued, ttl);
    }

    /** The parsed body, or empty when a 4xx has been answered. */
    private Optional<TokenRequest> tokenRequest(HttpServletRequest request, HttpServletResponse response) throws IOException {
        try {
            return Optional.of(TokenRequest.parse(body(request, jsonRequired(request)), settings.defaultTtl(), settings.maxTtl(),
                    settings.defaultLimits()));
        } catch (BodyTooLargeException e) {
            responses.error(response, ApiError.of(413, "a token request body must be at most " + MAX_BODY_BYTES + " bytes"));
        } catch (IllegalArgumentException e) {
            responses.error(response, ApiError.of(400, e.getMessage()));
        }
        return Optional.empty();
    }

    private void created(HttpServletRequest request, HttpServletResponse response, IssuedToken issued, Duration ttl)
            throws IOException {
        responses.json(response, HttpServletResponse.SC_CREATED, TokenResponse.of(issued, ttl));
        audit.record(tokenEvent("token_issued", issued.record(), request, HttpServletResponse.SC_CREATED));
    }

    /**
     * Revokes every live token of one identity subject ({@code ?subject=}, and {@code &issuer=} to name
     * the issuer too) and ends that person's gateway sign-ins, so their next refresh is refused.
     */
    private void revokeSubject(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String subject = request.getParameter("subject");
        String issuer = request.getParameter("issuer");
        if (subject == null || subject.isEmpty()) {
            responses.error(response, ApiError.of(400, "DELETE /v1/tokens needs ?subject=<the identity's sub> (and "
                    + "optionally &issuer=<its iss>); DELETE /v1/tokens/{id} revokes one token"));
            return;
        }
        try {
            AgentNames.check("subject", subject);
            if (issuer != null) {
                AgentNames.check("issuer", issuer);
            }
        } catch (IllegalArgumentException e) {
            responses.error(response, ApiError.of(400, e.getMessage()));
            return;
        }
        Optional<String> ofIssuer = Optional.ofNullable(issuer).filter(text -> !text.isEmpty());
        List<TokenRecord> revoked = registry.revokeSubject(subject, ofIssuer);
        // Sign-ins after the tokens: ending a chain also revokes its current access token, so one that a
        // refresh racing with this call has just issued goes too.
        int ended = signIn.settings().isPresent() ? signIn.endSessionsOf(subject, ofIssuer) : 0;
        responses.json(response, HttpServletResponse.SC_OK, new SubjectRevocation(subject, ofIssuer.orElse(null),
                revoked.stream().map(record -> record.id().value()).toList(), ended));
        for (TokenRecord record : revoked) {
            audit.record(tokenEvent("token_revoked", record, request, HttpServletResponse.SC_OK));
        }
    }

    private void list(HttpServletRequest request, HttpServletResponse response) throws IOException {
        int limit;
        Optional<TokenId> after;
        try {
            limit = limit(request.getParameter("limit"));
            after = after(request.getParameter("after"));
        } catch (IllegalArgumentException e) {
            responses.error(response, ApiError.of(400, e.getMessage()));
            return;
        }
        List<TokenRecord> records = registry.list(limit + 1, after);
        boolean hasMore = records.size() > limit;
        List<TokenSummary> page = records.stream().limit(limit).map(TokenSummary::of).toList();
        responses.json(response, HttpServletResponse.SC_OK, new TokenPage(page, hasMore,
                page.isEmpty() ? null : page.get(0).id(), page.isEmpty() ? null : page.get(page.size() - 1).id()));
    }

    private static int limit(String text) {
        return PageLimit.parse(text, DEFAULT_PAGE, MAX_PAGE);
    }

    private static Optional<TokenId> after(String text) {
        if (text == null || text.isEmpty()) {
            return Optional.empty();
        }
        if (!TokenId.isWellFormed(text)) {
            throw new IllegalArgumentException("after must be a token id such as tok_3q2fJ5kQx0bXH1aR (the last_id of the previous page)");
        }
        return Optional.of(new TokenId(text));
    }

    /** An audit line for a token event; shared with the token item endpoints. */
    static AuditEntry tokenEvent(String event, String agent, TokenId id, HttpServletRequest request, int status) {
        return AuditEntry.tokenEvent(event, agent, id.value(), request.getRemoteAddr(), request.getMethod(),
                Forwarder.pathOf(request), status, null);
    }

    /** An audit line for an event of a token whose record is at hand, with its identity when it has one. */
    static AuditEntry tokenEvent(String event, TokenRecord record, HttpServletRequest request, int status) {
        return AuditEntry.tokenEvent(event, record.agentName(), record.id().value(), request.getRemoteAddr(),
                request.getMethod(), Forwarder.pathOf(request), status, record.identity().orElse(null));
    }

    /**
     * Whether the body must declare {@code Content-Type: application/json}. A browser sends a
     * cross-site form ({@code application/x-www-form-urlencoded}, {@code multipart/form-data},
     * {@code text/plain}) with the user's cookie or cached Basic credentials, but never with an
     * {@code Authorization: Bearer} header, which no page can add without CORS consent. So a caller
     * with a bearer credential (the issuer key, an identity token), or with none at all under open
     * issuance, may send its JSON under curl's default form type, as the original tool's examples do;
     * a caller the container knows (a session, Basic) must declare JSON, which a cross-site form
     * cannot, so no page it visits can mint a token with its credentials.
     */
    static boolean jsonRequired(HttpServletRequest request) {
        if (ContainerCredentials.bearer(request) != null) {
            return false;
        }
        return request.getUserPrincipal() != null || request.getHeader("authorization") != null;
    }

    /** The body as text, refusing anything over the limit, and non-JSON content types when JSON is required. */
    private static String body(HttpServletRequest request, boolean jsonRequired) throws IOException {
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
        if (body.size() > 0 && jsonRequired) {
            String contentType = request.getContentType();
            String mediaType = contentType == null ? "" : contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
            if (!mediaType.equals("application/json")) {
                throw new IllegalArgumentException("send the token request as JSON with Content-Type: application/json "
                        + "(required with container credentials, so that no cross-site form can mint a token)");
            }
        }
        return body.toString(StandardCharsets.UTF_8);
    }

    /** The body passed {@link #MAX_BODY_BYTES}. */
    private static final class BodyTooLargeException extends IOException {
        private static final long serialVersionUID = 1L;
    }
}
