package dev.creddy.anthropic.usage;

import java.util.Locale;

/**
 * Chooses the meter for one upstream response. Only a successful {@code POST /v1/messages} carries
 * usage to count: {@code count_tokens} counts as a request only (issue 6), a batch's usage arrives
 * later in its results, and an error carries none. Stateless.
 */
public final class ResponseMeters {

    private ResponseMeters() {
    }

    /** Whether a request's response is metered (when it succeeds): only {@code POST /v1/messages}. */
    public static boolean meters(String method, String path) {
        return "POST".equals(method) && "/v1/messages".equals(path);
    }

    /**
     * A fresh meter for a response, or {@link ResponseMeter#NONE}.
     *
     * @param method the request's method
     * @param path the request's path as sent upstream, without the query
     * @param status the upstream's status
     * @param contentType the response's {@code Content-Type}, or null
     * @param contentEncoding the response's {@code Content-Encoding}, or null; {@code gzip},
     *     {@code x-gzip}, {@code deflate} and {@code identity} are read, any other coding (or a list of
     *     several) is not metered (see {@link AcceptEncoding#meterable})
     */
    public static ResponseMeter forResponse(String method, String path, int status, String contentType,
            String contentEncoding) {
        if (!meters(method, path) || status < 200 || status > 299
                || contentType == null) {
            return ResponseMeter.NONE;
        }
        int parameters = contentType.indexOf(';');
        String mediaType = (parameters < 0 ? contentType : contentType.substring(0, parameters)).trim()
                .toLowerCase(Locale.ROOT);
        ResponseMeter meter = switch (mediaType) {
            case "text/event-stream" -> new SseUsageMeter();
            case "application/json" -> new JsonUsageMeter();
            default -> ResponseMeter.NONE;
        };
        if (meter == ResponseMeter.NONE) {
            return meter;
        }
        String coding = contentEncoding == null ? "" : contentEncoding.trim().toLowerCase(Locale.ROOT);
        return switch (coding) {
            case "", "identity" -> meter;
            case "gzip", "x-gzip" -> InflatingMeter.gzip(meter);
            case "deflate" -> InflatingMeter.deflate(meter);
            default -> ResponseMeter.NONE;
        };
    }
}
