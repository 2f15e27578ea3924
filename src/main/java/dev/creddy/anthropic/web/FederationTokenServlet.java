package dev.creddy.anthropic.web;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.config.Settings;
import dev.creddy.anthropic.identity.AgentIdentities;
import dev.creddy.anthropic.identity.AgentTokenRefusedException;
import dev.creddy.anthropic.identity.AgentTokenVerifier;
import dev.creddy.anthropic.identity.VerifiedAgent;
import dev.creddy.anthropic.observe.AuditLog;
import dev.creddy.anthropic.token.IssuedToken;
import dev.creddy.anthropic.token.TokenGrant;
import dev.creddy.anthropic.token.TokenRegistry;
import dev.creddy.anthropic.token.TokenStoreUnavailableException;
import dev.creddy.anthropic.web.gateway.OAuthResponses;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonReader;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code POST /v1/oauth/token}: the token exchange of Anthropic's workload identity federation, at the
 * path and in the shape the official SDKs send it to their configured base URL (a JSON body with the
 * RFC 7523 {@code jwt-bearer} grant: {@code assertion}, {@code federation_rule_id},
 * {@code organization_id}, {@code service_account_id}, optionally {@code workspace_id}). An SDK set up
 * for federation with the proxy as its base URL thus gets a {@code crd_} token with no code change.
 *
 * <p>The assertion is verified exactly like an identity token at {@code POST /v1/tokens} (trusted
 * issuers, their audiences, scopes or claim rules, {@code oidc-policy}); the federation rule,
 * organization, service account and workspace ids mean nothing to the proxy and are ignored. The token
 * lives {@code default-ttl}, never longer than the assertion. Answers are OAuth-shaped (RFC 6749 §5).
 * Stateless; thread-safe.
 */
@WebServlet(name = "federation-token", urlPatterns = "/v1/oauth/token", loadOnStartup = 1)
public class FederationTokenServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    static final String JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    private static final int MAX_BODY_BYTES = 64 * 1024;

    @Inject
    transient TokenRegistry registry;
    @Inject
    transient Settings settings;
    @Inject
    transient AuditLog audit;
    @Inject
    transient AgentIdentities identities;

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (!request.getMethod().equals("POST")) {
            response.setHeader("Allow", "POST");
            OAuthResponses.error(response, 405, "invalid_request", "use POST with a JSON jwt-bearer token request");
            return;
        }
        Optional<AgentTokenVerifier> verifier = identities.verifier();
        if (verifier.isEmpty()) {
            OAuthResponses.error(response, 400, "unsupported_grant_type", "this proxy trusts no identity issuer "
                    + "(oidc-issuer is not set), so it exchanges no identity tokens");
            return;
        }
        Map<String, JsonValue> body;
        try {
            body = body(request);
        } catch (IllegalArgumentException e) {
            OAuthResponses.error(response, 400, "invalid_request", e.getMessage());
            return;
        }
        if (!(body.get("grant_type") instanceof JsonString grant) || !grant.getString().equals(JWT_BEARER)) {
            OAuthResponses.error(response, 400, "unsupported_grant_type", "grant_type must be " + JWT_BEARER);
            return;
        }
        if (!(body.get("assertion") instanceof JsonString assertion) || !AgentTokenVerifier.looksLikeJwt(assertion.getString())) {
            OAuthResponses.error(response, 400, "invalid_request", "assertion must be the identity token (a JWT)");
            return;
        }
        try {
            exchange(request, response, verifier.get(), assertion.getString());
        } catch (TokenStoreUnavailableException e) {
            response.setHeader("Retry-After", "1");
            OAuthResponses.error(response, 503, "temporarily_unavailable", "token store unavailable");
        }
    }

    private void exchange(HttpServletRequest request, HttpServletResponse response, AgentTokenVerifier verifier, String jwt)
            throws IOException {
        VerifiedAgent agent;
        try {
            agent = verifier.verify(jwt);
        } catch (AgentTokenRefusedException e) {
            ApiError error = IdentityRefusal.error(e);
            audit.record(ForwardingServlet.rejection(request, null, error, IdentityRefusal.reason(e)));
            if (e.kind() == AgentTokenRefusedException.Kind.UNAVAILABLE) {
                response.setHeader("Retry-After", String.valueOf(AgentTokenRefusedException.RETRY_AFTER.toSeconds()));
                OAuthResponses.error(response, 503, "temporarily_unavailable", e.getMessage());
            } else {
                // RFC 7523 §3.1: an assertion that is not valid, or grants nothing, is invalid_grant.
                OAuthResponses.error(response, 400, "invalid_grant", e.getMessage());
            }
            return;
        }
        Optional<ApiError> elsewhere = IpBinding.check(Optional.of(agent.identity()), request.getRemoteAddr());
        if (elsewhere.isPresent()) {
            audit.record(ForwardingServlet.rejection(request, null, elsewhere.get(), "ip_restricted"));
            OAuthResponses.error(response, 400, "invalid_grant", elsewhere.get().message());
            return;
        }
        Instant now = Instant.now();
        Duration remaining = Duration.between(now.truncatedTo(ChronoUnit.SECONDS), agent.expiresAt()).truncatedTo(ChronoUnit.SECONDS);
        Duration ttl = settings.defaultTtl().compareTo(remaining) < 0 ? settings.defaultTtl() : remaining;
        if (ttl.getSeconds() < 1) {
            OAuthResponses.error(response, 400, "invalid_grant", "the identity token expires within a second; get a fresh one");
            return;
        }
        IssuedToken issued = registry.issue(new TokenGrant(agent.agentName(), ttl, agent.limits(), Optional.of(agent.identity())));
        OAuthResponses.json(response, 200, Json.createObjectBuilder()
                .add("access_token", issued.secret())
                .add("token_type", "Bearer")
                .add("expires_in", ttl.getSeconds())
                .build());
        audit.record(TokenServlet.tokenEvent("token_issued", issued.record(), request, 200));
    }

    /**
     * The JSON body, at most {@value #MAX_BODY_BYTES} bytes. Typed as a {@code Map}: no JSON-P type may stand in
     * a method signature of a servlet, or Tomcat's annotation scan fails on the EE WAR (which has no JSON-P
     * there) before {@code CdiMissingCheck} can name the right WAR.
     */
    private static Map<String, JsonValue> body(HttpServletRequest request) throws IOException {
        String contentType = request.getContentType();
        String mediaType = contentType == null ? "" : contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        if (!mediaType.equals("application/json")) {
            throw new IllegalArgumentException("send the token request as JSON with Content-Type: application/json");
        }
        if (request.getContentLengthLong() > MAX_BODY_BYTES) {
            throw new IllegalArgumentException("a token request body must be at most " + MAX_BODY_BYTES + " bytes");
        }
        byte[] bytes;
        try (InputStream in = request.getInputStream()) {
            bytes = in.readNBytes(MAX_BODY_BYTES + 1);
        }
        if (bytes.length > MAX_BODY_BYTES) {
            throw new IllegalArgumentException("a token request body must be at most " + MAX_BODY_BYTES + " bytes");
        }
        try (JsonReader reader = Json.createReader(new StringReader(new String(bytes, StandardCharsets.UTF_8)))) {
            return reader.readObject();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("the body must be a JSON object");
        }
    }
}
