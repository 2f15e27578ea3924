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
        String host;
        String port;
        if (text.startsWith("[")) {
            int close = text.indexOf("]:");
            if (close < 0) {
                throw new IllegalArgumentException("--addr \"" + text + "\" needs a port after the bracketed address, e.g. [::1]:8080");
            }
            host = text.substring(1, close);
            port = text.substring(close + 2);
        } else {
            int colon = text.lastIndexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("--addr \"" + text + "\" needs a port, e.g. :8080 or 127.0.0.1:8080");
            }
            host = text.substring(0, colon);
            port = text.substring(colon + 1);
            if (host.contains(":")) {
                throw new IllegalArgumentException("--addr \"" + text + "\": put an IPv6 address in brackets, e.g. [::1]:8080");
            }
        }
        int number;
        try {
            number = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            number = -1;
        }
        if (number < 0 || number > 65535) {
            throw new IllegalArgumentException("--addr \"" + text + "\": the port must be a number from 0 to 65535");
        }
        return new ListenAddress(host.isEmpty() ? null : host, number);
    }

    /** How to reach it in a URL. */
    String urlHost() {
        if (host == null) {
            return "localhost";
        }
        return host.contains(":") ? "[" + host + "]" : host;
    }
}
