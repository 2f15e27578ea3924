package dev.creddy.anthropic.forward;

import java.util.concurrent.TimeoutException;

/** The upstream sent no response headers before the deadline. */
final class HeaderTimeoutException extends TimeoutException {

    private static final long serialVersionUID = 1L;

    HeaderTimeoutException() {
        super("no response headers from the upstream before the deadline");
    }
}
