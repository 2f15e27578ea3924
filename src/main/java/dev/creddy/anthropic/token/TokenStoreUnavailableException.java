package dev.creddy.anthropic.token;

/**
 * The token store could not be asked in time, so the registry can neither grant nor refuse: callers
 * fail closed (the web layer answers 503). The message names the store and the kind of failure,
 * never a token, a digest or a password.
 */
public final class TokenStoreUnavailableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public TokenStoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
