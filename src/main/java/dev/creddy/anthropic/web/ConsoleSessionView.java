package dev.creddy.anthropic.web;

import jakarta.json.bind.annotation.JsonbProperty;
import jakarta.json.bind.annotation.JsonbPropertyOrder;

/**
 * The body of {@code GET /console/session}: whether the browser is signed in to the console and,
 * if so, as whom, until when, and the CSRF token its calls must carry. The CSRF token is only ever
 * sent to a browser that holds the session cookie; another origin cannot read it. Immutable.
 *
 * @param signedIn whether the request carried a live console session
 * @param operator who signed in ({@code issuer key}, or the container's user name)
 * @param csrf the value of the {@value ConsoleSessions#CSRF_HEADER} header for this session's calls
 * @param expiresAt when the session ends, RFC 3339
 * @param issuerKey whether signing in with the issuer key is possible here
 */
@JsonbPropertyOrder({"signedIn", "operator", "csrf", "expiresAt", "issuerKey"})
public record ConsoleSessionView(
        @JsonbProperty("signed_in") boolean signedIn,
        String operator,
        String csrf,
        @JsonbProperty("expires_at") String expiresAt,
        @JsonbProperty("issuer_key") boolean issuerKey) {

    static ConsoleSessionView of(ConsoleSessions.Session session, boolean issuerKey) {
        return new ConsoleSessionView(true, session.operator(), session.csrf(), session.expiresAt().toString(), issuerKey);
    }

    static ConsoleSessionView signedOut(boolean issuerKey) {
        return new ConsoleSessionView(false, null, null, null, issuerKey);
    }

    @Override
    public String toString() {
        return "ConsoleSessionView[signedIn=" + signedIn + ", operator=" + operator + "]";
    }
}
