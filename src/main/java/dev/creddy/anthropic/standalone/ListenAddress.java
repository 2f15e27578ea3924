package dev.creddy.anthropic.standalone;

/**
 * A listen address in Go's {@code host:port} form, as the original tool takes it: {@code :8080}
 * (every interface), {@code 127.0.0.1:8080}, {@code [::1]:8080}, {@code localhost:0} (any free port).
 *
 * @param host the interface to bind, or null for every interface
 * @param port the port, 0 for any free one
 */
record ListenAddress(String host, int port) {

    static ListenAddress parse(String text) {
        int colon = text.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("--addr \"" + text + "\" needs a port, e.g. :8080 or 127.0.0.1:8080");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--addr \"" + text + "\": the port must be a number from 0 to 65535");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--addr \"" + text + "\": the port must be a number from 0 to 65535");
        }
        return new ListenAddress(host.isEmpty() ? null : host, port);
    }

    /** How to reach it in a URL. */
    String urlHost() {
        if (host == null) {
            return "localhost";
        }
        return host.contains(":") ? "[" + host + "]" : host;
    }
}
