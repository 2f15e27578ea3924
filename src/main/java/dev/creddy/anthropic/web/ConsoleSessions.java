package dev.creddy.anthropic.web;

import dev.creddy.anthropic.config.ConsoleSettings;
import dev.creddy.anthropic.config.Settings;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The operator console's sessions: after an operator proves to be an issuer once (the issuer key,
 * or the container's login in role {@value IssuerAuthorization#ROLE}), the browser holds a random
 * session secret in an {@code HttpOnly}, {@code SameSite=Strict} cookie, and the console's calls to
 * the token, usage and metrics endpoints are authorized by it. Like tokens, only the secret's SHA-256
 * is kept; the issuer key itself is never stored, here or in the browser.
 *
 * <p>A session authorizes a call only together with its CSRF token in the {@value #CSRF_HEADER}
 * header (which a form on another site cannot send, and which another origin cannot read from
 * {@code /console/session}) and, when the browser says where the call comes from ({@code Origin},
 * {@code Sec-Fetch-Site}), only from this very origin. Sessions live in this instance's memory: a
 * restart or redeployment ends them all, and behind a load balancer each instance knows only the
 * sessions opened on it.
 *
 * <p>Thread-safe: a concurrent map of immutable sessions.
 */
@ApplicationScoped
public class ConsoleSessions {

    /** The session cookie's name. */
    public static final String COOKIE = "creddy_console";
    /** The request header that carries the session's CSRF token. */
    public static final String CSRF_HEADER = "X-Creddy-Console";

    /**
     * Where the browser sends the session cookie: the console and the endpoints it calls, and nowhere
     * else. Above all not to the forwarded API under {@code /v1/}, whose request headers go upstream.
     */
    static final List<String> COOKIE_PATHS = List.of("/console", "/v1/tokens", "/v1/usage", "/metrics");

    private static final int SECRET_BYTES = 32;
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();

    private final Map<String, Session> byDigest = new ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();
    private ConsoleSettings settings;
    private boolean trustForwardedHeaders;
    private Clock clock;

    /** For CDI's proxy. */
    protected ConsoleSessions() {
    }

    @Inject
    public ConsoleSessions(Settings settings) {
        this(settings.console(), settings.trustForwardedHeaders(), Clock.systemUTC());
    }

    ConsoleSessions(ConsoleSettings settings, boolean trustForwardedHeaders, Clock clock) {
        this.settings = settings;
        this.trustForwardedHeaders = trustForwardedHeaders;
        this.clock = clock;
    }

    /** One signed-in operator: who, the CSRF token the console sends back, and when it ends. */
    record Session(String operator, String csrf, Instant expiresAt) {
        @Override
        public String toString() {
            return "Session[operator=" + operator + ", expiresAt=" + expiresAt + "]";
        }
    }

    /** What a request's console credentials amount to. */
    enum Verdict {
        /** No console session cookie, or one that is unknown or expired (or the console is off). */
        NONE,
        /** A live session, its CSRF token, from this origin. */
        VALID,
        /** A live session's cookie without its CSRF token, or sent from another origin. */
        FORGED
    }

    boolean enabled() {
        return settings.enabled();
    }

    /** Opens a session for {@code operator} and sets its cookie on {@code response}. */
    Session open(HttpServletRequest request, HttpServletResponse response, String operator) {
        Instant now = clock.instant();
        byDigest.values().removeIf(session -> !session.expiresAt().isAfter(now));
        String secret = BASE64URL.encodeToString(randomBytes());
        Session session = new Session(operator, BASE64URL.encodeToString(randomBytes()), now.plus(settings.sessionTtl()));
        byDigest.put(digest(secret), session);
        for (String path : COOKIE_PATHS) {
            response.addHeader("Set-Cookie", cookie(request, path, secret, settings.sessionTtl().getSeconds()));
        }
        return session;
    }

    /** The live session the request's cookie names, whatever its CSRF token and origin. */
    Optional<Session> find(HttpServletRequest request) {
        if (!settings.enabled()) {
            return Optional.empty();
        }
        String secret = cookieValue(request);
        if (secret == null) {
            return Optional.empty();
        }
        Session session = byDigest.get(digest(secret));
        if (session == null) {
            return Optional.empty();
        }
        if (!session.expiresAt().isAfter(clock.instant())) {
            byDigest.remove(digest(secret), session);
            return Optional.empty();
        }
        return Optional.of(session);
    }

    /** Whether the request is authorized by a console session, and if not, whether it tried. */
    Verdict verdict(HttpServletRequest request) {
        Optional<Session> session = find(request);
        if (session.isEmpty()) {
            return Verdict.NONE;
        }
        String presented = request.getHeader(CSRF_HEADER);
        boolean csrf = presented != null && MessageDigest.isEqual(
                presented.getBytes(StandardCharsets.UTF_8), session.get().csrf().getBytes(StandardCharsets.UTF_8));
        return csrf && sameOrigin(request) ? Verdict.VALID : Verdict.FORGED;
    }

    /** Ends the request's session, if any, and clears its cookie. */
    void close(HttpServletRequest request, HttpServletResponse response) {
        String secret = cookieValue(request);
        if (secret != null) {
            byDigest.remove(digest(secret));
        }
        for (String path : COOKIE_PATHS) {
            response.addHeader("Set-Cookie", cookie(request, path, "", 0));
        }
    }

    /**
     * Whether the browser's own statement of where the request comes from, when it makes one, is
     * this origin: {@code Sec-Fetch-Site} must not be {@code cross-site} or {@code same-site}, and
     * the authority of {@code Origin} must be the {@code Host} the request was sent to (or, behind a
     * trusted front proxy, the host it forwarded). Browsers send {@code Origin} on every POST and
     * DELETE, so a state-changing call from another page always says where it comes from.
     */
    boolean sameOrigin(HttpServletRequest request) {
        String fetchSite = request.getHeader("Sec-Fetch-Site");
        if (fetchSite != null && !fetchSite.equals("same-origin") && !fetchSite.equals("none")) {
            return false;
        }
        String origin = request.getHeader("Origin");
        if (origin == null) {
            return true;
        }
        String authority = authorityOf(origin);
        if (authority == null) {
            return false;
        }
        if (authority.equals(normalised(request.getHeader("Host")))) {
            return true;
        }
        if (trustForwardedHeaders) {
            String forwarded = request.getHeader("X-Forwarded-Host");
            return forwarded != null && authority.equals(normalised(forwarded.split(",", 2)[0].strip()));
        }
        return false;
    }

    private static String authorityOf(String origin) {
        try {
            URI uri = URI.create(origin);
            if (uri.getHost() == null || uri.getScheme() == null) {
                return null;
            }
            int port = uri.getPort();
            String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
            boolean defaultPort = port < 0 || (scheme.equals("http") && port == 80) || (scheme.equals("https") && port == 443);
            return uri.getHost().toLowerCase(Locale.ROOT) + (defaultPort ? "" : ":" + port);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** {@code host[:port]} in lower case, without the default ports (the scheme may differ behind a proxy). */
    private static String normalised(String host) {
        if (host == null) {
            return null;
        }
        String lower = host.strip().toLowerCase(Locale.ROOT);
        if (lower.endsWith(":80")) {
            return lower.substring(0, lower.length() - 3);
        }
        if (lower.endsWith(":443")) {
            return lower.substring(0, lower.length() - 4);
        }
        return lower;
    }

    private static String cookieValue(HttpServletRequest request) {
        Cookie[] cookies = request.getCookies();
        if (cookies == null) {
            return null;
        }
        for (Cookie cookie : cookies) {
            if (cookie.getName().equals(COOKIE) && !cookie.getValue().isEmpty()) {
                return cookie.getValue();
            }
        }
        return null;
    }

    /**
     * The cookie for one of {@link #COOKIE_PATHS}, readable by no script, sent on no cross-site
     * request, and only over https when the operator came over https.
     */
    private static String cookie(HttpServletRequest request, String path, String value, long maxAgeSeconds) {
        return COOKIE + "=" + value + "; Path=" + request.getContextPath() + path + "; Max-Age=" + maxAgeSeconds
                + "; HttpOnly; SameSite=Strict" + (request.isSecure() ? "; Secure" : "");
    }

    private byte[] randomBytes() {
        byte[] bytes = new byte[SECRET_BYTES];
        random.nextBytes(bytes);
        return bytes;
    }

    private static String digest(String secret) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
