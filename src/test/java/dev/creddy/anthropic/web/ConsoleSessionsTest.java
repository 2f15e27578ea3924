package dev.creddy.anthropic.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.config.ConsoleSettings;
import dev.creddy.anthropic.token.ManualClock;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The console's sessions: what a cookie, its CSRF token and the browser's origin headers amount to.
 * Requests and responses are the servlet API's interfaces, answered from a map (the container's own
 * objects need a running container; ConsoleIT runs the real one).
 */
class ConsoleSessionsTest {

    private final ManualClock clock = new ManualClock(Instant.parse("2026-12-03T10:00:00Z"));

    /** A request with these headers (and {@code Cookie} read into cookies), under context path /ops. */
    private static HttpServletRequest request(Map<String, String> headers) {
        return (HttpServletRequest) Proxy.newProxyInstance(ConsoleSessionsTest.class.getClassLoader(),
                new Class<?>[] {HttpServletRequest.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "getHeader" -> headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase((String) args[0]))
                            .map(Map.Entry::getValue).findFirst().orElse(null);
                    case "getCookies" -> headers.containsKey("Cookie") ? new Cookie[] {
                        new Cookie(headers.get("Cookie").split("=", 2)[0], headers.get("Cookie").split("=", 2)[1])} : null;
                    case "getContextPath" -> "/ops";
                    case "isSecure" -> headers.containsKey("secure");
                    case "getMethod" -> "GET";
                    case "toString" -> "request " + headers;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    /** A response that only keeps the headers added to it. */
    private static HttpServletResponse response(List<String> setCookies) {
        return (HttpServletResponse) Proxy.newProxyInstance(ConsoleSessionsTest.class.getClassLoader(),
                new Class<?>[] {HttpServletResponse.class}, (proxy, method, args) -> {
                    if (method.getName().equals("addHeader") && args[0].equals("Set-Cookie")) {
                        setCookies.add((String) args[1]);
                        return null;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    private ConsoleSessions sessions(boolean enabled) {
        return new ConsoleSessions(new ConsoleSettings(enabled, Duration.ofHours(8)), false, clock);
    }

    @ParameterizedTest(name = "Origin {0}, Host {1}, Sec-Fetch-Site {2} -> {3}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            "-|127.0.0.1:8080|-|true",
            "http://127.0.0.1:8080|127.0.0.1:8080|same-origin|true",
            "https://ops.example.com|ops.example.com|-|true",
            "https://ops.example.com|ops.example.com:443|-|true",
            "https://OPS.example.com|ops.example.com|-|true",
            "http://127.0.0.1:9999|127.0.0.1:8080|-|false",
            "http://127.0.0.1:8080|127.0.0.1:8080|same-site|false",
            "-|127.0.0.1:8080|cross-site|false",
            "null|127.0.0.1:8080|-|false",
            "https://evil.example|ops.example.com|-|false",
            "https://ops.example.com.evil.example|ops.example.com|-|false",
    })
    void onlyThisOriginCounts(String origin, String host, String fetchSite, boolean same) {
        Map<String, String> headers = new HashMap<>();
        headers.put("Host", host);
        if (origin != null) {
            headers.put("Origin", origin);
        }
        if (fetchSite != null) {
            headers.put("Sec-Fetch-Site", fetchSite);
        }
        assertEquals(same, sessions(true).sameOrigin(request(headers)));
    }

    @Test
    void aForwardedHostCountsOnlyBehindATrustedFrontProxy() {
        Map<String, String> headers = Map.of("Host", "10.0.0.5:8080", "Origin", "https://ops.example.com",
                "X-Forwarded-Host", "ops.example.com");
        assertFalse(sessions(true).sameOrigin(request(headers)));
        assertTrue(new ConsoleSessions(new ConsoleSettings(true, Duration.ofHours(8)), true, clock).sameOrigin(request(headers)));
    }

    @Test
    void aSessionAuthorizesWithItsCsrfTokenUntilItEndsOrIsClosed() {
        ConsoleSessions sessions = sessions(true);
        List<String> cookies = new ArrayList<>();
        ConsoleSessions.Session session = sessions.open(request(Map.of("Host", "h")), response(cookies), "issuer key");
        assertEquals(ConsoleSessions.COOKIE_PATHS.size(), cookies.size());
        for (String cookie : cookies) {
            assertTrue(cookie.matches("creddy_console=[A-Za-z0-9_-]{43}; Path=/ops/(console|v1/tokens|v1/usage|metrics); "
                    + "Max-Age=28800; HttpOnly; SameSite=Strict"), cookie);
        }
        String cookie = cookies.get(0).split(";", 2)[0];
        assertFalse(session.toString().contains(session.csrf()), "the CSRF token stays out of logs: " + session);
        assertFalse(session.toString().contains(cookie.split("=", 2)[1]));

        assertEquals(ConsoleSessions.Verdict.VALID, sessions.verdict(request(Map.of("Host", "h", "Cookie", cookie,
                ConsoleSessions.CSRF_HEADER, session.csrf()))));
        assertEquals(ConsoleSessions.Verdict.FORGED, sessions.verdict(request(Map.of("Host", "h", "Cookie", cookie))));
        assertEquals(ConsoleSessions.Verdict.FORGED, sessions.verdict(request(Map.of("Host", "h", "Cookie", cookie,
                ConsoleSessions.CSRF_HEADER, session.csrf() + "x"))));
        assertEquals(ConsoleSessions.Verdict.FORGED, sessions.verdict(request(Map.of("Host", "h", "Cookie", cookie,
                ConsoleSessions.CSRF_HEADER, session.csrf(), "Origin", "http://elsewhere"))));
        assertEquals(ConsoleSessions.Verdict.NONE, sessions.verdict(request(Map.of("Host", "h",
                "Cookie", "creddy_console=" + "A".repeat(43), ConsoleSessions.CSRF_HEADER, session.csrf()))));
        assertEquals(ConsoleSessions.Verdict.NONE, sessions(true).verdict(request(Map.of("Host", "h", "Cookie", cookie,
                ConsoleSessions.CSRF_HEADER, session.csrf()))), "another instance (or a restart) knows no session");

        clock.advance(Duration.ofHours(8).minusSeconds(1));
        assertTrue(sessions.find(request(Map.of("Cookie", cookie))).isPresent());
        clock.advance(Duration.ofSeconds(1));
        assertTrue(sessions.find(request(Map.of("Cookie", cookie))).isEmpty(), "over after console-session-ttl");

        ConsoleSessions.Session next = sessions.open(request(Map.of("Host", "h")), response(cookies = new ArrayList<>()), "ops");
        String nextCookie = cookies.get(0).split(";", 2)[0];
        List<String> cleared = new ArrayList<>();
        sessions.close(request(Map.of("Cookie", nextCookie)), response(cleared));
        assertTrue(cleared.stream().allMatch(value -> value.startsWith("creddy_console=; ") && value.contains("Max-Age=0")),
                cleared.toString());
        assertEquals(ConsoleSessions.Verdict.NONE, sessions.verdict(request(Map.of("Host", "h", "Cookie", nextCookie,
                ConsoleSessions.CSRF_HEADER, next.csrf()))), "signed out");
    }

    @Test
    void overHttpsTheCookieIsSecure() {
        List<String> cookies = new ArrayList<>();
        sessions(true).open(request(Map.of("Host", "h", "secure", "")), response(cookies), "issuer key");
        assertTrue(cookies.stream().allMatch(cookie -> cookie.endsWith("; Secure")), cookies.toString());
    }

    @Test
    void withTheConsoleOffNoCookieAuthorizesAnything() {
        ConsoleSessions on = sessions(true);
        List<String> cookies = new ArrayList<>();
        on.open(request(Map.of("Host", "h")), response(cookies), "issuer key");
        assertEquals(ConsoleSessions.Verdict.NONE, sessions(false).verdict(request(Map.of("Host", "h",
                "Cookie", cookies.get(0).split(";", 2)[0]))));
    }
}
