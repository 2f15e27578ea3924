package dev.creddy.anthropic.forward;

/**
 * The Anthropic endpoints the proxy knows by shape, one canonical spelling each: {@code /v1/} then
 * fixed segments and, where the API has one, a single non-empty id segment. Any other spelling of
 * the same endpoint (a trailing slash, an empty segment, a suffix) is {@link #UNKNOWN}, so a policy
 * that keys on the endpoint (the model allowlist, metering) cannot be stepped around by spelling it
 * differently. Parsed by hand: no regular expression per request. Immutable.
 */
public enum Endpoint {
    MESSAGES,
    COUNT_TOKENS,
    COMPLETE,
    BATCHES,
    BATCH,
    BATCH_CANCEL,
    BATCH_RESULTS,
    MODELS,
    MODEL,
    FILES,
    FILE,
    FILE_CONTENT,
    /** Not exactly one of the shapes above. */
    UNKNOWN;

    /**
     * The endpoint of a path.
     *
     * @param path the container's decoded, normalised path within the application
     */
    public static Endpoint of(String path) {
        if (path == null || !path.startsWith("/v1/")) {
            return UNKNOWN;
        }
        String rest = path.substring("/v1/".length());
        String[] segments = rest.split("/", -1);
        for (String segment : segments) {
            if (segment.isEmpty()) {
                return UNKNOWN;
            }
        }
        return switch (segments[0]) {
            case "messages" -> messages(segments);
            case "complete" -> segments.length == 1 ? COMPLETE : UNKNOWN;
            case "models" -> segments.length == 1 ? MODELS : segments.length == 2 ? MODEL : UNKNOWN;
            case "files" -> switch (segments.length) {
                case 1 -> FILES;
                case 2 -> FILE;
                case 3 -> segments[2].equals("content") ? FILE_CONTENT : UNKNOWN;
                default -> UNKNOWN;
            };
            default -> UNKNOWN;
        };
    }

    private static Endpoint messages(String[] segments) {
        if (segments.length == 1) {
            return MESSAGES;
        }
        if (segments.length == 2) {
            return segments[1].equals("count_tokens") ? COUNT_TOKENS : segments[1].equals("batches") ? BATCHES : UNKNOWN;
        }
        if (!segments[1].equals("batches")) {
            return UNKNOWN;
        }
        if (segments.length == 3) {
            return BATCH;
        }
        if (segments.length == 4) {
            return switch (segments[3]) {
                case "cancel" -> BATCH_CANCEL;
                case "results" -> BATCH_RESULTS;
                default -> UNKNOWN;
            };
        }
        return UNKNOWN;
    }

    /**
     * Whether a call answers with batch metadata carrying {@code results_url}s: creating and listing
     * batches, retrieving one, cancelling one.
     */
    public boolean isBatchMetadata(String method) {
        return switch (this) {
            case BATCHES -> method.equalsIgnoreCase("GET") || method.equalsIgnoreCase("POST");
            case BATCH -> method.equalsIgnoreCase("GET");
            case BATCH_CANCEL -> method.equalsIgnoreCase("POST");
            default -> false;
        };
    }
}
