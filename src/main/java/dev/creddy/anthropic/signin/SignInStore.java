package dev.creddy.anthropic.signin;

import java.time.Instant;
import java.util.Optional;

/**
 * Where sign-ins in progress and signed-in sessions live: device authorizations by the digest of their
 * device code and by user code, sessions by chain, and every refresh token of a chain (by digest, the
 * used ones too, until the chain ends) so that a reused one is recognized. Codes and tokens are kept only
 * as digests. Implementations are thread-safe and make each method atomic.
 */
public interface SignInStore {

    /** Adds a pending authorization; false when too many are pending already. */
    boolean addGrant(DeviceGrant grant, Instant now);

    Optional<DeviceGrant> grantByDeviceCode(String deviceCodeDigest);

    Optional<DeviceGrant> grantByUserCode(String userCode);

    /** Decides the pending, unexpired authorization with {@code userCode}; false when there is none. */
    boolean decide(String userCode, DeviceGrant.State decision, Person person, Instant now);

    /** Records a poll; empty when the authorization is unknown. */
    Optional<DeviceGrant> poll(String deviceCodeDigest, Instant now);

    /** Removes an authorization: it is single-use. */
    void removeGrant(String deviceCodeDigest);

    /** Stores a new session, or the next value of an existing chain when {@code previousRefreshDigest} is still its newest. */
    boolean putSession(SignInSession session, Optional<String> previousRefreshDigest);

    /** The chain a refresh token (current or used) belongs to. */
    Optional<SignInSession> sessionByRefresh(String refreshDigest);

    /** The session whose current access token has this id. */
    Optional<SignInSession> sessionByAccessToken(dev.creddy.anthropic.token.TokenId id);

    /** The live sessions of the people with {@code subject} (of any issuer). */
    java.util.List<SignInSession> sessionsOf(String subject);

    /** Ends a chain: none of its refresh tokens is good any more. */
    void end(String chainId);
}
