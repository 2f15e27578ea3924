package dev.creddy.anthropic.web.gateway;

import dev.creddy.anthropic.identity.AgentTokenRefusedException;
import dev.creddy.anthropic.identity.OrganisationSignIn;
import dev.creddy.anthropic.identity.PersonSignIn;
import dev.creddy.anthropic.signin.Person;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * {@code <context>/device/callback}: where the organisation's OpenID Connect provider sends the browser
 * back with an authorization code (OpenID Connect Core §3.1.2.5). The attempt the HTTP session holds is
 * taken out first, so a callback is good once: a forged or replayed {@code state}, or a callback without
 * an attempt, is refused before the code goes anywhere (RFC 6749 §10.12). The code is then exchanged and
 * the ID token verified ({@link PersonSignIn}); the person is kept in a new session id (no fixation) and
 * the browser goes back to {@code /device} with the code it came with. Same headers as the page.
 */
public class CallbackServlet extends GatewayServlet {

    private static final long serialVersionUID = 1L;

    @Inject
    transient OrganisationSignIn organisation;

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        ApprovalServlet.headers(response);
        if (!request.getMethod().equals("GET")) {
            response.setHeader("Allow", "GET");
            ApprovalServlet.page(response, 405, "Not allowed", "<p>Open <a href=\"../device\">the sign-in page</a>.</p>");
            return;
        }
        if (signIn.settings().isEmpty() || organisation.provider().isEmpty()) {
            ApprovalServlet.page(response, 404, "Not found", "<p>This proxy does not sign people in with a provider.</p>");
            return;
        }
        HttpSession session = request.getSession(false);
        Object held = session == null ? null : session.getAttribute(ApprovalServlet.ATTEMPT_ATTRIBUTE);
        if (session != null) {
            session.removeAttribute(ApprovalServlet.ATTEMPT_ATTRIBUTE);
        }
        String state = request.getParameter("state");
        if (!(held instanceof PersonSignIn.Attempt attempt) || state == null
                || !MessageDigest.isEqual(attempt.state().getBytes(StandardCharsets.UTF_8), state.getBytes(StandardCharsets.UTF_8))) {
            ApprovalServlet.page(response, 403, "Request refused", "<p>This sign-in was not started here, or it was "
                    + "finished already. <a href=\"../device\">Start again</a>.</p>");
            return;
        }
        String error = request.getParameter("error");
        String code = request.getParameter("code");
        if (error != null || code == null || code.isEmpty()) {
            String shown = error != null && error.matches("[a-z_]{1,64}") ? error : "no code";
            ApprovalServlet.page(response, 403, "Sign-in refused", "<p>The sign-in provider did not sign you in ("
                    + ApprovalServlet.html(shown) + "). <a href=\"../device\">Start again</a>.</p>");
            return;
        }
        PersonSignIn.SignedIn signedIn;
        try {
            signedIn = organisation.provider().get().finish(attempt, code);
        } catch (AgentTokenRefusedException e) {
            boolean unavailable = e.kind() == AgentTokenRefusedException.Kind.UNAVAILABLE;
            if (unavailable) {
                response.setHeader("Retry-After", "5");
            }
            ApprovalServlet.page(response, unavailable ? 503 : 403, unavailable ? "Sign-in unavailable" : "Sign-in refused",
                    "<p>" + ApprovalServlet.html(e.getMessage()) + ". <a href=\"../device\">Start again</a>.</p>");
            return;
        }
        // A new session id for the signed-in person: one fixed beforehand by someone else is worth nothing.
        request.changeSessionId();
        session.setAttribute(ApprovalServlet.PERSON_ATTRIBUTE,
                new Person(signedIn.issuer(), signedIn.subject(), signedIn.name(), signedIn.groups()));
        response.setStatus(303);
        response.setHeader("Location", base(request) + "/device"
                + (attempt.userCode().isEmpty() ? "" : "?user_code=" + attempt.userCode()));
        response.setContentLength(0);
    }
}
