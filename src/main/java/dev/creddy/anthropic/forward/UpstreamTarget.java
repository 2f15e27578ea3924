package dev.creddy.anthropic.forward;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Where a forwarded request goes: always the configured upstream, never anything a client names.
 *
 * <p>The path comes from the container's decoded and normalised view of the request (so dot
 * segments and percent-encoded dots are already resolved), must stay under {@code /v1/}, and is
 * percent-encoded again segment by segment, so the upstream sees exactly the path that was checked.
 * The query string passes through raw. Immutable and thread-safe.
 */
public final class UpstreamTarget {

    private final URI base;
    private final String basePath;

    /** @param base the configured upstream URL, without a trailing slash */
    public UpstreamTarget(URI base) {
        this.base = base;
        this.basePath = base.getRawPath() == null ? "" : base.getRawPath();
    }

    /** The upstream's scheme and authority. */
    public URI base() {
        return base;
    }

    /**
     * The upstream request-target (path and query) for a client path, or empty when the path would
     * leave {@code /v1/} or is not a clean path.
     *
     * @param decodedPath the container's decoded, normalised path within the application, e.g. {@code /v1/messages}
     * @param rawQuery the query string as the client sent it, or null
     */
    public Optional<String> requestTarget(String decodedPath, String rawQuery) {
        if (decodedPath == null || !decodedPath.startsWith("/v1/") || decodedPath.length() == "/v1/".length()) {
            return Optional.empty();
        }
        StringBuilder target = new StringBuilder(basePath.length() + decodedPath.length() + 16).append(basePath);
        for (String segment : decodedPath.substring(1).split("/", -1)) {
            if (segment.equals(".") || segment.equals("..")) {
                return Optional.empty();
            }
            for (int i = 0; i < segment.length(); i++) {
                if (Character.isISOControl(segment.charAt(i))) {
                    return Optional.empty();
                }
            }
            target.append('/');
            appendEncoded(target, segment);
        }
        if (rawQuery != null && !rawQuery.isEmpty()) {
            target.append('?').append(rawQuery);
        }
        return Optional.of(target.toString());
    }

    /**
     * RFC 3986 pchar: unreserved, sub-delims but {@code ;}, {@code =} and {@code ,}, ':' and '@' stay;
     * everything else is percent-encoded as UTF-8. The three are encoded because servers give them
     * meaning inside a segment (path parameters, {@code ;jsessionid=}): a {@code %3B} the client sent,
     * which the container decoded, must not reach the upstream as a raw {@code ;}.
     */
    private static void appendEncoded(StringBuilder out, String segment) {
        for (byte b : segment.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "-._~!$&'()*+:@".indexOf(c) >= 0) {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
    }
}
