package dev.creddy.anthropic.forward;

import java.io.IOException;

/** The client side of an exchange broke: a disconnect, a reset, a body cut short. */
final class ClientGoneException extends IOException {

    private static final long serialVersionUID = 1L;

    ClientGoneException(Throwable cause) {
        super("client connection failed", cause);
    }
}
