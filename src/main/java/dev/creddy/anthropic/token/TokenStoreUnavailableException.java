package dev.creddy.anthropic.token;

/**
 * The token store could not be asked in time, so the registry can neither grant nor refuse: callers
 * fail closed (the web layer answers 503). The message names the store and the kind of failure,
 * never a token, a digest or a password.
 */
public final class TokenStoreUnavailableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** What Redis did, or null for a store that is not Redis. */
    private final RedisFailure.Kind redisFailure;

    public TokenStoreUnavailableException(String message, Throwable cause) {
        this(message, cause, null);
    }

    /** @param redisFailure what Redis did, for metrics (e.g. why a usage record was dropped) */
    public TokenStoreUnavailableException(String message, Throwable cause, RedisFailure.Kind redisFailure) {
        super(message, cause);
        this.redisFailure = redisFailure;
    }

    /** What Redis did, when the store is Redis. */
    public java.util.Optional<RedisFailure.Kind> redisFailure() {
        return java.util.Optional.ofNullable(redisFailure);
    }
}
