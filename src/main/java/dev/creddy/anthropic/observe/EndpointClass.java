package dev.creddy.anthropic.observe;

/**
 * The few kinds of request the metrics tell apart, by path: a bounded tag, whatever paths clients
 * send. Stateless.
 */
public final class EndpointClass {

    private EndpointClass() {
    }

    /**
     * The class of a decoded, normalised path within the application: {@code messages},
     * {@code count_tokens}, {@code batches}, {@code models}, {@code files}, {@code tokens} or
     * {@code other}.
     */
    public static String of(String path) {
        if (path == null) {
            return "other";
        }
        if (path.equals("/v1/messages")) {
            return "messages";
        }
        if (path.equals("/v1/messages/count_tokens")) {
            return "count_tokens";
        }
        if (isUnder(path, "/v1/messages/batches")) {
            return "batches";
        }
        if (isUnder(path, "/v1/models")) {
            return "models";
        }
        if (isUnder(path, "/v1/files")) {
            return "files";
        }
        if (isUnder(path, "/v1/tokens")) {
            return "tokens";
        }
        return "other";
    }

    private static boolean isUnder(String path, String root) {
        return path.equals(root) || path.startsWith(root) && path.charAt(root.length()) == '/';
    }
}
