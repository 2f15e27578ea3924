package dev.creddy.anthropic.forward;

import java.io.IOException;

/** Thrown into HttpClient by a pump whose exchange is already over, so that it drops the connection. */
final class CancelledExchangeException extends IOException {

    private static final long serialVersionUID = 1L;

    CancelledExchangeException() {
        super("the proxy ended this exchange");
    }
}
