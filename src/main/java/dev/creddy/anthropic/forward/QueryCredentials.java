package dev.creddy.anthropic.forward;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;

/**
 * Finds credentials in a query string, so that a request carrying one is refused before anything is
 * forwarded: a {@code crd_} token (or an Anthropic key) in the query would otherwise reach the
 * upstream's logs in the raw request line. The Anthropic API reads no credential from the query, so
 * nothing legitimate is refused. Parsed by hand (no regular expression per request). Stateless.
 */
public final class QueryCredentials {

    /** Parameter names that only ever carry a credential. */
    private static final Set<String> NAMES = Set.of("api_key", "api-key", "apikey", "x-api-key", "x_api_key", "key",
            "token", "access_token", "auth", "authorization", "bearer");

    private QueryCredentials() {
    }

    /**
     * Whether the raw query names or holds a credential: a parameter called like one, or any value
     * (decoded) holding a {@code crd_} token or an {@code sk-ant-} key.
     */
    public static boolean present(String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return false;
        }
        int start = 0;
        while (start <= rawQuery.length()) {
            int end = rawQuery.indexOf('&', start);
            if (end < 0) {
                end = rawQuery.length();
            }
            String pair = rawQuery.substring(start, end);
            int equals = pair.indexOf('=');
            String name = decode(equals < 0 ? pair : pair.substring(0, equals)).toLowerCase(Locale.ROOT);
            String value = equals < 0 ? "" : decode(pair.substring(equals + 1));
            if (NAMES.contains(name.strip()) || holdsSecret(name) || holdsSecret(value)) {
                return true;
            }
            start = end + 1;
        }
        return false;
    }

    private static boolean holdsSecret(String text) {
        String lower = text.toLowerCase(Locale.ROOT);
        return lower.contains("crd_") || lower.contains("sk-ant-");
    }

    private static String decode(String raw) {
        try {
            return URLDecoder.decode(raw, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            // A broken escape: look at it as it is.
            return raw;
        }
    }
}
