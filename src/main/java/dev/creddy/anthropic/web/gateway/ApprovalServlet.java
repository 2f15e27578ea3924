package dev.creddy.anthropic.web.gateway;

import dev.creddy.anthropic.config.DeviceSignInSettings;
import dev.creddy.anthropic.identity.AgentTokenRefusedException;
import dev.creddy.anthropic.identity.OrganisationSignIn;
import dev.creddy.anthropic.identity.PersonSignIn;
import dev.creddy.anthropic.signin.DeviceSignIn;
import dev.creddy.anthropic.signin.Person;
import dev.creddy.anthropic.token.TokenStoreUnavailableException;
import jakarta.inject.Inject;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code <context>/device}: the verification page of the device flow. The developer signs in with the
 * container's login (the server's realm, through the application's login configuration) and must hold
 * {@code device-user-role}, or, when {@code device-oidc-issuer} is set, with the organisation's OpenID
 * Connect provider (sent there and back through {@link CallbackServlet}); then confirms or types the code
 * Claude Code shows, and approves or denies it.
 * A pre-filled code is never submitted by itself (RFC 8628 §5.4): the person presses a button.
 *
 * <p>The page is rendered here, with no script at all; its style sheet is the WAR's
 * {@code device/device.css}. Every answer is {@code no-store}, framed by nobody, and under
 * {@code default-src 'self'}. A decision needs the session's CSRF token and, when the browser sends
 * one, an {@code Origin} of the proxy's own; code entries are limited per address (§5.1).
 *
 * <p>With the container's login, the person's name is their principal name and their groups are those
 * of the {@code group:} rules in {@code oidc-policy} whose role they hold; with the provider, both come
 * from the ID token. Stateless apart from the container's session.
 */
public class ApprovalServlet extends GatewayServlet {

    private static final long serialVersionUID = 1L;
    static final String CSRF_ATTRIBUTE = "creddy.device.csrf";
    /** The {@link Person} the organisation's provider signed in, in the HTTP session. */
    static final String PERSON_ATTRIBUTE = "creddy.device.person";
    /** The {@link PersonSignIn.Attempt} the browser is away with at the provider, in the HTTP session. */
    static final String ATTEMPT_ATTRIBUTE = "creddy.device.attempt";
    private static final RateLimiter PER_ADDRESS = new RateLimiter(20);
    private static final SecureRandom RANDOM = new SecureRandom();

    @Inject
    transient OrganisationSignIn organisation;

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws ServletException, IOException {
        headers(response);
        if (!request.getMethod().equals("GET") && !request.getMethod().equals("POST")) {
            response.setHeader("Allow", "GET, POST");
            page(response, 405, "Not allowed", "<p>Open this page in a browser.</p>");
            return;
        }
        Optional<DeviceSignInSettings> config = signIn.settings();
        if (config.isEmpty()) {
            page(response, 404, "Sign-in is off", "<p>This proxy does not offer sign-in (device-sign-in is off).</p>");
            return;
        }
        Optional<Person> person = config.get().oidc().isPresent() ? providerPerson(request, response)
                : containerPerson(request, response, config.get());
        if (person.isEmpty()) {
            return;
        }
        try {
            if (request.getMethod().equals("GET")) {
                form(request, response, DeviceSignIn.normalizeUserCode(request.getParameter("user_code")).orElse(""), 200, null,
                        person.get());
            } else {
                decide(request, response, person.get());
            }
        } catch (TokenStoreUnavailableException e) {
            response.setHeader("Retry-After", "1");
            page(response, 503, "Try again", "<p>The proxy cannot reach its store just now. Try again in a moment.</p>");
        }
    }

    /**
     * The person the container's login names, with the groups of the {@code group:} rules whose role they
     * hold; empty when the answer (a challenge, or a refusal) is written.
     */
    private Optional<Person> containerPerson(HttpServletRequest request, HttpServletResponse response,
            DeviceSignInSettings config) throws ServletException, IOException {
        if (request.getUserPrincipal() == null && !request.authenticate(response)) {
            // The container has sent its challenge (or its login page); nothing more to write.
            return Optional.empty();
        }
        if (!request.isUserInRole(config.userRole())) {
            page(response, 403, "Not allowed", "<p>You are signed in as " + html(request.getUserPrincipal().getName())
                    + ", who may not use Claude through this proxy. Ask for the role " + html(config.userRole()) + ".</p>");
            return Optional.empty();
        }
        String name = request.getUserPrincipal().getName();
        List<String> groups = new ArrayList<>();
        for (String group : config.policy().groupNames()) {
            if (request.isUserInRole(group)) {
                groups.add(group);
            }
        }
        return Optional.of(new Person(base(request), name, name, groups));
    }

    /**
     * The person the organisation's provider signed in during this HTTP session; without one, a
     * {@code GET} is sent off to the provider (the code it was opened with kept for the way back), and a
     * {@code POST} is refused. Empty when the answer is written.
     */
    private Optional<Person> providerPerson(HttpServletRequest request, HttpServletResponse response) throws IOException {
        HttpSession session = request.getSession(false);
        Object signedIn = session == null ? null : session.getAttribute(PERSON_ATTRIBUTE);
        if (signedIn instanceof Person person) {
            return Optional.of(person);
        }
        if (!request.getMethod().equals("GET")) {
            page(response, 403, "Request refused", "<p>Sign in first. <a href=\"device\">Start again</a>.</p>");
            return Optional.empty();
        }
        PersonSignIn provider = organisation.provider().orElseThrow();
        Map.Entry<PersonSignIn.Attempt, URI> attempt;
        try {
            attempt = provider.start(base(request) + "/device/callback",
                    DeviceSignIn.normalizeUserCode(request.getParameter("user_code")).orElse(""));
        } catch (AgentTokenRefusedException e) {
            response.setHeader("Retry-After", "5");
            page(response, 503, "Sign-in unavailable", "<p>" + html(e.getMessage()) + ".</p>");
            return Optional.empty();
        }
        request.getSession(true).setAttribute(ATTEMPT_ATTRIBUTE, attempt.getKey());
        response.setStatus(303);
        response.setHeader("Location", attempt.getValue().toString());
        response.setContentLength(0);
        return Optional.empty();
    }

    private void decide(HttpServletRequest request, HttpServletResponse response, Person person)
            throws IOException {
        HttpSession session = request.getSession(false);
        String expected = session == null ? null : (String) session.getAttribute(CSRF_ATTRIBUTE);
        String presented = request.getParameter("csrf");
        String origin = request.getHeader("Origin");
        if (expected == null || presented == null
                || !MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), presented.getBytes(StandardCharsets.UTF_8))
                || (origin != null && !origin.equals(originOf(base(request))))) {
            page(response, 403, "Request refused", "<p>This form was not sent from this page. "
                    + "<a href=\"device\">Start again</a>.</p>");
            return;
        }
        if (!PER_ADDRESS.allow(request.getRemoteAddr())) {
            page(response, 429, "Too many attempts", "<p>Wait a minute, then try again.</p>");
            return;
        }
        Optional<String> code = DeviceSignIn.normalizeUserCode(request.getParameter("user_code"));
        String action = request.getParameter("action");
        if (code.isEmpty() || !signIn.isPending(code.get()) || (!"approve".equals(action) && !"deny".equals(action))) {
            form(request, response, "", 400, "That code is not waiting for approval: check it, or sign in again in Claude Code.",
                    person);
            return;
        }
        String name = person.name();
        boolean approve = "approve".equals(action);
        if (!signIn.decide(code.get(), approve, person)) {
            form(request, response, "", 400, "That code is not waiting for approval any more.", person);
            return;
        }
        page(response, 200, approve ? "Signed in" : "Sign-in denied", approve
                ? "<p>Claude Code is signed in as " + html(name) + ". You can close this page and return to it.</p>"
                : "<p>The sign-in was denied. Claude Code stops waiting for it.</p>");
    }

    private void form(HttpServletRequest request, HttpServletResponse response, String userCode, int status, String problem,
            Person person) throws IOException {
        HttpSession session = request.getSession(true);
        String csrf = (String) session.getAttribute(CSRF_ATTRIBUTE);
        if (csrf == null) {
            byte[] bytes = new byte[32];
            RANDOM.nextBytes(bytes);
            csrf = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
            session.setAttribute(CSRF_ATTRIBUTE, csrf);
        }
        page(response, status, "Sign in to Claude Code", (problem == null ? "" : "<p class=\"problem\">" + html(problem) + "</p>")
                + "<p>Signed in as <strong>" + html(person.name()) + "</strong>. Check that the code "
                + "below is the one Claude Code shows, then approve.</p>"
                + "<form method=\"post\" action=\"device\">"
                + "<input type=\"hidden\" name=\"csrf\" value=\"" + csrf + "\">"
                + "<label for=\"user_code\">Code</label> "
                + "<input id=\"user_code\" name=\"user_code\" value=\"" + html(userCode) + "\" autocomplete=\"off\" "
                + "spellcheck=\"false\" maxlength=\"12\" required> "
                + "<button type=\"submit\" name=\"action\" value=\"approve\">Approve</button> "
                + "<button type=\"submit\" name=\"action\" value=\"deny\">Deny</button>"
                + "</form>");
    }

    /** The page's security headers: the strictest that a form posting to itself allows. */
    static void headers(HttpServletResponse response) {
        response.setHeader("Content-Security-Policy", "default-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                + "base-uri 'none'; object-src 'none'");
        response.setHeader("X-Frame-Options", "DENY");
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.setHeader("Referrer-Policy", "no-referrer");
        response.setHeader("Cache-Control", "no-store");
    }

    static void page(HttpServletResponse response, int status, String title, String body) throws IOException {
        byte[] bytes = ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                + "<title>" + html(title) + "</title><link rel=\"stylesheet\" href=\"device/device.css\"></head>"
                + "<body><main><h1>" + html(title) + "</h1>" + body + "</main></body></html>").getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.setContentType("text/html");
        response.setCharacterEncoding("UTF-8");
        response.setContentLength(bytes.length);
        response.getOutputStream().write(bytes);
    }

    private static String originOf(String base) {
        int slash = base.indexOf('/', base.indexOf("://") + 3);
        return slash < 0 ? base : base.substring(0, slash);
    }

    static String html(String text) {
        StringBuilder escaped = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            switch (c) {
                case '<' -> escaped.append("&lt;");
                case '>' -> escaped.append("&gt;");
                case '&' -> escaped.append("&amp;");
                case '"' -> escaped.append("&quot;");
                case '\'' -> escaped.append("&#39;");
                default -> escaped.append(c);
            }
        }
        return escaped.toString();
    }
}
