package dev.creddy.anthropic.forward;

import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * The base URL at which agents reach this proxy ({@code scheme://host[:port]} plus the context path),
 * as a client would put it in {@code ANTHROPIC_BASE_URL}; links the proxy hands out point there.
 *
 * <p>First match wins: the operator's {@code public-url}; then, only with
 * {@code trust-forwarded-headers} on, what a front proxy says in {@code Forwarded} (RFC 7239: the
 * first element's {@code proto} and {@code host}) or in {@code X-Forwarded-Proto}, {@code -Host} and
 * {@code -Port}, with {@code X-Forwarded-Prefix} standing in for the context path; then the request's
 * own scheme, {@code Host} and context path. Forwarded values that are not a plain scheme, host, port
 * or path are ignored, so nothing odd ends up inside a link. Without the trust setting those headers
 * are ignored altogether: any client could send them. Immutable and thread-safe.
 */
public final class PublicUrl {

    private static final Pattern HOST = Pattern.compile("(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::([0-9]{1,5}))?");
    private static final Pattern PREFIX = Pattern.compile("(/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)*/?");

    private final Optional<String> configured;
    private final boolean trustForwarded;

    /**
     * @param configured the {@code public-url} setting, without a trailing slash
     * @param trustForwarded whether a front proxy's forwarding headers are believed
     */
    public PublicUrl(Optional<URI> configured, boolean trustForwarded) {
        this.configured = configured.map(URI::toString);
        this.trustForwarded = trustForwarded;
    }

    /** The proxy's public base URL as seen by the client of {@code request}, without a trailing slash. */
    public String of(HttpServletRequest request) {
        return resolve(request.getScheme(), request.getServerName(), request.getServerPort(), request.getContextPath(),
                request::getHeader);
    }

    /**
     * The same, from the request's parts.
     *
     * @param scheme the request's scheme
     * @param serverName the host the container resolved (from {@code Host})
     * @param serverPort the port the container resolved
     * @param contextPath the application's context path, {@code ""} for the root
     * @param header the first value of a request header, or null
     */
    String resolve(String scheme, String serverName, int serverPort, String contextPath, UnaryOperator<String> header) {
        if (configured.isPresent()) {
            return configured.get();
        }
        String publicScheme = scheme.toLowerCase(Locale.ROOT);
        Authority authority = Authority.parse(header.apply("host")).orElse(new Authority(serverName, serverPort));
        String path = contextPath;
        if (trustForwarded) {
            boolean forwarded = false;
            String forwardedProto = null;
            Authority forwardedHost = null;
            String rfc7239 = header.apply("forwarded");
            if (rfc7239 != null) {
                forwardedProto = forwardedParameter(rfc7239, "proto");
                forwardedHost = Authority.parse(forwardedParameter(rfc7239, "host")).orElse(null);
            }
            if (forwardedProto == null) {
                forwardedProto = firstValue(header.apply("x-forwarded-proto"));
            }
            if (forwardedHost == null) {
                forwardedHost = Authority.parse(firstValue(header.apply("x-forwarded-host"))).orElse(null);
            }
            if (forwardedProto != null && (forwardedProto.equalsIgnoreCase("http") || forwardedProto.equalsIgnoreCase("https"))) {
                publicScheme = forwardedProto.toLowerCase(Locale.ROOT);
                forwarded = true;
            }
            if (forwardedHost != null) {
                authority = forwardedHost;
                forwarded = true;
            }
            int forwardedPort = parsePort(firstValue(header.apply("x-forwarded-port")));
            if (forwardedPort > 0) {
                authority = new Authority(authority.host(), forwardedPort);
            } else if (forwarded && !authority.explicitPort()) {
                // The front proxy's own port is the scheme's default unless it said otherwise.
                authority = new Authority(authority.host(), -1);
            }
            String prefix = firstValue(header.apply("x-forwarded-prefix"));
            if (prefix != null && PREFIX.matcher(prefix).matches()) {
                // The front proxy maps its prefix onto our context path, as Spring and others read it.
                path = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
            }
        }
        int port = authority.port();
        boolean defaultPort = port < 0 || publicScheme.equals("http") && port == 80 || publicScheme.equals("https") && port == 443;
        return publicScheme + "://" + authority.host() + (defaultPort ? "" : ":" + port) + path;
    }

    /** The first comma-separated value of a header, trimmed; null when there is none. */
    private static String firstValue(String header) {
        if (header == null) {
            return null;
        }
        int comma = header.indexOf(',');
        String first = (comma < 0 ? header : header.substring(0, comma)).strip();
        return first.isEmpty() ? null : first;
    }

    /** A parameter of the first element of an RFC 7239 {@code Forwarded} header, unquoted; null when absent. */
    static String forwardedParameter(String header, String name) {
        for (String pair : firstElement(header)) {
            int equals = pair.indexOf('=');
            if (equals > 0 && pair.substring(0, equals).strip().equalsIgnoreCase(name)) {
                String value = pair.substring(equals + 1).strip();
                if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                    value = value.substring(1, value.length() - 1).replaceAll("\\\\(.)", "$1");
                }
                return value.isEmpty() ? null : value;
            }
        }
        return null;
    }

    /** The {@code name=value} pairs of the first element: split at {@code ;}, stopping at the first {@code ,}, outside quotes. */
    private static List<String> firstElement(String header) {
        List<String> pairs = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < header.length(); i++) {
            char c = header.charAt(i);
            if (quoted && c == '\\' && i + 1 < header.length()) {
                current.append(c).append(header.charAt(++i));
                continue;
            }
            if (c == '"') {
                quoted = !quoted;
            } else if (!quoted && (c == ';' || c == ',')) {
                pairs.add(current.toString());
                current.setLength(0);
                if (c == ',') {
                    return pairs;
                }
                continue;
            }
            current.append(c);
        }
        pairs.add(current.toString());
        return pairs;
    }

    private static int parsePort(String text) {
        if (text == null || !text.matches("[0-9]{1,5}")) {
            return -1;
        }
        int port = Integer.parseInt(text);
        return port >= 1 && port <= 65535 ? port : -1;
    }

    /** A host with its port, -1 when none was given. */
    private record Authority(String host, int port) {

        boolean explicitPort() {
            return port > 0;
        }

        static Optional<Authority> parse(String text) {
            if (text == null) {
                return Optional.empty();
            }
            var matcher = HOST.matcher(text.strip());
            if (!matcher.matches()) {
                return Optional.empty();
            }
            int port = matcher.group(2) == null ? -1 : parsePort(matcher.group(2));
            if (matcher.group(2) != null && port < 0) {
                return Optional.empty();
            }
            return Optional.of(new Authority(matcher.group(1).toLowerCase(Locale.ROOT), port));
        }
    }
}
