package dev.creddy.anthropic.usage;

import java.util.Locale;

/**
 * Chooses the meter for one upstream response. A successful {@code POST /v1/messages} carries usage
 * to count, and so does a batch's results download ({@code GET /v1/messages/batches/{id}/results},
 * priced at the batch rate, see {@link BatchResultsMeter}): {@code count_tokens} counts as a request
 * only (issue 6), creating a batch carries none (its usage arrives with its results), and an error
 * carries none. Stateless.
 */
public final class ResponseMeters {

    private ResponseMeters() {
    }

    private static final String BATCHES = "/v1/messages/batches/";
    private static final String RESULTS = "/results";

    /** Whether a request's response is metered (when it succeeds): {@code POST /v1/messages} and batch results. */
    public static boolean meters(String method, String path) {
        return "POST".equals(method) && "/v1/messages".equals(path) || batchOfResults(method, path) != null;
    }

    /**
     * The batch id of a results download, {@code GET /v1/messages/batches/{id}/results} spelt exactly
     * so (one non-empty id segment), or null for any other request.
     */
    public static String batchOfResults(String method, String path) {
        if (!"GET".equals(method) || path == null || !path.startsWith(BATCHES) || !path.endsWith(RESULTS)) {
            return null;
        }
        int end = path.length() - RESULTS.length();
        if (end <= BATCHES.length()) {
            return null;
        }
        String id = path.substring(BATCHES.length(), end);
        return id.indexOf('/') >= 0 ? null : id;
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
        return forResponse(method, path, status, contentType, contentEncoding, 0, null);
    }

    /** The same, counting tokens without pricing them. */
    public static ResponseMeter forResponse(String method, String path, int status, String contentType,
            String contentEncoding, long unreadableCharge) {
        return forResponse(method, path, status, contentType, contentEncoding, unreadableCharge, null);
    }

    /**
     * The same, for a response whose usage must never count as zero when it cannot be read: a metered
     * 2xx in a coding the meters do not know ({@code br}, {@code zstd}, a list of several; the proxy
     * asked for none of them, see {@link AcceptEncoding}) is charged {@code unreadableCharge} tokens, as
     * its input, instead of nothing.
     *
     * @param unreadableCharge the tokens to charge for such a response (the caller's conservative guess)
     * @param prices what the response's tokens are priced with, or null to count them only
     */
    public static ResponseMeter forResponse(String method, String path, int status, String contentType,
            String contentEncoding, long unreadableCharge, PriceTable prices) {
        if (!meters(method, path) || status < 200 || status > 299) {
            return ResponseMeter.NONE;
        }
        ResponseMeter meter;
        if (batchOfResults(method, path) != null) {
            // Anthropic serves the .jsonl as application/binary (or octet-stream): the path says what it is.
            meter = new BatchResultsMeter(prices);
        } else if (contentType == null) {
            return ResponseMeter.NONE;
        } else {
            int parameters = contentType.indexOf(';');
            String mediaType = (parameters < 0 ? contentType : contentType.substring(0, parameters)).trim()
                    .toLowerCase(Locale.ROOT);
            meter = switch (mediaType) {
                case "text/event-stream" -> new SseUsageMeter(prices);
                case "application/json" -> new JsonUsageMeter(prices);
                default -> ResponseMeter.NONE;
            };
        }
        if (meter == ResponseMeter.NONE) {
            return meter;
        }
        String coding = contentEncoding == null ? "" : contentEncoding.trim().toLowerCase(Locale.ROOT);
        return switch (coding) {
            case "", "identity" -> meter;
            case "gzip", "x-gzip" -> InflatingMeter.gzip(meter);
            case "deflate" -> InflatingMeter.deflate(meter);
            default -> unreadableCharge > 0 ? new Unreadable(unreadableCharge, prices != null) : ResponseMeter.NONE;
        };
    }

    /** A response whose usage cannot be read: charged a fixed, conservative amount. Immutable. */
    private record Unreadable(long charge, boolean priced) implements ResponseMeter {
        @Override
        public void accept(java.nio.ByteBuffer chunk) {
            // unreadable by definition
        }

        @Override
        public Usage usage() {
            // Tokens without a model: unpriced, so a dollar budget keeps the request's whole reservation.
            Usage tokens = Usage.ofTokens(charge, 0, 0, 0);
            return priced ? tokens.priced(java.util.OptionalLong.empty()) : tokens;
        }
    }
}
