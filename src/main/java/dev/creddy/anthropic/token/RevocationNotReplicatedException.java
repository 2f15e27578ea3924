package dev.creddy.anthropic.token;

import dev.creddy.anthropic.config.GoDuration;
import dev.creddy.anthropic.config.RevokeWait;

/**
 * A revocation that {@code redis-revoke-wait-replicas} replicas did not acknowledge in time. When the
 * token was found it is revoked on the primary, and every instance refuses it; but should the primary
 * fail before a replica has the revocation, the replica promoted in its place still holds the token.
 * The message says so, and what to do: send the {@code DELETE} again until it answers 204 or 404
 * (the retry waits on the same connection, so its answer covers this revocation too). It names no
 * token, digest or address.
 */
public final class RevocationNotReplicatedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final boolean found;

    /**
     * @param found whether the primary had the token (and now has it revoked)
     * @param acknowledged how many replicas acknowledged
     * @param wait what was asked for
     */
    public RevocationNotReplicatedException(boolean found, long acknowledged, RevokeWait wait) {
        super((found ? "the token is revoked on the Redis primary, and every instance refuses it now, but only "
                : "no live token has this id on the Redis primary, but only ")
                + acknowledged + " of the " + wait.replicas() + " replica(s) redis-revoke-wait-replicas asks for acknowledged "
                + (found ? "the revocation" : "the writes before it") + " within " + GoDuration.format(wait.timeout())
                + ": a failover now could bring the token back; send the DELETE again until it answers 204 or 404");
        this.found = found;
    }

    /** Whether the primary had the token, which is now revoked there. */
    public boolean found() {
        return found;
    }
}
