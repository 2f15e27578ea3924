package dev.creddy.anthropic.web;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.api.ApiResponses;
import dev.creddy.anthropic.config.Settings;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonObject;
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
import java.util.Locale;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Signing in to the operator console. {@code /console/session}: {@code GET} tells the page whether it
 * is signed in (and hands it the session's CSRF token), {@code POST {"issuer_key":"…"}} exchanges the
 * issuer key for a console session, {@code DELETE} signs out. {@code GET /console/login} signs in with
 * the container's own login (Basic, as web.xml declares): a user in role
 * {@value IssuerAuthorization#ROLE} gets a session and is sent back to the console; anyone else is
 * challenged. The issuer key is read once, compared in constant time, and never kept, logged or
 * echoed. {@link ConsoleFilter} answers 404 for all of it when the console is off.
 */
@WebServlet(name = "console-session", urlPatterns = {ConsoleSessionServlet.SESSION_PATH, ConsoleSessionServlet.LOGIN_PATH})
public class ConsoleSessionServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = Logger.getLogger(ConsoleSessionServlet.class.getName());
    static final String SESSION_PATH = "/console/session";
    static final String LOGIN_PATH = "/console/login";
    private static final int MAX_BODY_BYTES = 4096;

    @Inject
    transient ConsoleSessions sessions;
    @Inject
    transient Settings settings;
    @Inject
    transient ApiResponses responses;

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String method = request.getMethod();
        if (request.getServletPath().equals(LOGIN_PATH)) {
            if (method.equals("GET")) {
                containerLogin(request, response);
            } else {
                methodNotAllowed(response, method, "GET");
            }
            return;
        }
        switch (method) {
            case "GET" -> status(request, response);
            case "POST" -> signIn(request, response);
            case "DELETE" -> signOut(request, response);
            default -> methodNotAllowed(response, method, "GET, POST, DELETE");
        }
    }

    private void status(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Optional<ConsoleSessions.Session> session = sessions.find(request);
        responses.json(response, HttpServletResponse.SC_OK, session.map(live -> ConsoleSessionView.of(live, keyConfigured()))
                .orElse(ConsoleSessionView.signedOut(keyConfigured())));
    }

    private void signIn(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (!sessions.sameOrigin(request)) {
            responses.error(response, ApiError.of(403, "sign in from the console's own page: this request comes from another origin"));
            return;
        }
        Optional<String> key;
        try {
            key = issuerKeyOf(request);
        } catch (IllegalArgumentException e) {
            responses.error(response, ApiError.of(400, e.getMessage()));
            return;
        }
        String operator;
        if (settings.issuerKey().isPresent()) {
            if (key.isEmpty() || !settings.issuerKey().get().matches(key.get())) {
                LOG.warning(() -> "console: a sign-in with a wrong issuer key was refused (from " + request.getRemoteAddr() + ")");
                responses.error(response, ApiError.of(401, "that is not the issuer key: check it and try again"));
                return;
            }
            operator = "issuer key";
        } else if (settings.openIssuance()) {
            operator = "open issuance";
        } else {
            responses.error(response, ApiError.of(403, "no issuer key is configured here: sign in with the server's login "
                    + "(a user in role " + IssuerAuthorization.ROLE + ")"));
            return;
        }
        ConsoleSessions.Session session = sessions.open(request, response, operator);
        LOG.info(() -> "console: session opened with the " + operator + " (from " + request.getRemoteAddr() + ")");
        responses.json(response, HttpServletResponse.SC_OK, ConsoleSessionView.of(session, keyConfigured()));
    }

    private void signOut(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (sessions.verdict(request) == ConsoleSessions.Verdict.FORGED) {
            responses.error(response, IssuerAuthorization.FORGED);
            return;
        }
        sessions.close(request, response);
        responses.noContent(response);
    }

    private void containerLogin(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (!ContainerCredentials.hasRole(request, IssuerAuthorization.ROLE)) {
            // Asks the browser for the server realm's credentials, as the login-config of web.xml declares.
            response.setHeader("WWW-Authenticate", "Basic realm=\"creddy-anthropic\", charset=\"UTF-8\"");
            responses.error(response, ApiError.of(401, "sign in with a user of the server's realm in role "
                    + IssuerAuthorization.ROLE + ", or go back and use the issuer key"));
            return;
        }
        String user = request.getUserPrincipal() == null ? "container user" : request.getUserPrincipal().getName();
        sessions.open(request, response, user);
        LOG.info(() -> "console: session opened for " + user + " (from " + request.getRemoteAddr() + ")");
        response.setStatus(HttpServletResponse.SC_SEE_OTHER);
        // Relative, so it works under any context path and behind a front proxy.
        response.setHeader("Location", "./");
        response.setHeader("Cache-Control", "no-store");
    }

    private static Optional<String> issuerKeyOf(HttpServletRequest request) throws IOException {
        String contentType = request.getContentType();
        String mediaType = contentType == null ? "" : contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        // A form on another site can only send form encodings; JSON from another origin needs a preflight we never grant.
        if (!mediaType.equals("application/json")) {
            throw new IllegalArgumentException("send the sign-in as JSON with Content-Type: application/json");
        }
        byte[] body;
        try (InputStream in = request.getInputStream()) {
            body = in.readNBytes(MAX_BODY_BYTES + 1);
        }
        if (body.length > MAX_BODY_BYTES) {
            throw new IllegalArgumentException("a sign-in body must be at most " + MAX_BODY_BYTES + " bytes");
        }
        JsonObject object;
        try (JsonReader reader = Json.createReader(new StringReader(new String(body, StandardCharsets.UTF_8)))) {
            object = reader.readObject();
        } catch (RuntimeException e) {
            // JsonException or IllegalStateException. Caught as RuntimeException: a catch of JsonException puts it in
            // this servlet's bytecode, and Tomcat's annotation scan, which links every servlet, then fails on the EE
            // WAR (which has no JSON-P on Tomcat) before CdiMissingCheck can say which WAR to deploy.
            // Never the parser's message: it may quote the key.
            throw new IllegalArgumentException("the sign-in body must be a JSON object such as {\"issuer_key\":\"…\"}");
        }
        JsonValue key = object.get("issuer_key");
        if (key == null || key.getValueType() == JsonValue.ValueType.NULL) {
            return Optional.empty();
        }
        if (!(key instanceof JsonString text)) {
            throw new IllegalArgumentException("issuer_key must be a string");
        }
        return Optional.of(text.getString()).filter(value -> !value.isBlank());
    }

    private boolean keyConfigured() {
        return settings.issuerKey().isPresent();
    }

    private void methodNotAllowed(HttpServletResponse response, String method, String allowed) throws IOException {
        response.setHeader("Allow", allowed);
        responses.error(response, ApiError.of(405, "method " + method + " is not allowed here: use " + allowed));
    }
}
