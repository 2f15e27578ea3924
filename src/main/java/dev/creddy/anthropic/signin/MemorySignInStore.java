package dev.creddy.anthropic.signin;

import dev.creddy.anthropic.token.TokenId;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The sign-in store of one instance, in memory: sign-ins in progress and sessions end with a restart
 * (signed-in Claude Codes then sign in again). Pending authorizations are capped, and expired ones and
 * ended chains are swept as new ones arrive. Thread-safe: every method holds this object's lock, and
 * none does I/O under it.
 */
public final class MemorySignInStore implements SignInStore {

    /** Far above a real organisation's concurrent sign-ins; what a flood of unauthenticated requests can fill. */
    static final int MAX_PENDING = 10_000;

    private final Map<String, DeviceGrant> grants = new HashMap<>();
    private final Map<String, String> grantsByUserCode = new HashMap<>();
    private final Map<String, SignInSession> sessions = new HashMap<>();
    /** Every refresh token digest of a live chain, the used ones included, to its chain. */
    private final Map<String, String> chainsByRefresh = new HashMap<>();

    @Override
    public synchronized boolean addGrant(DeviceGrant grant, Instant now) {
        if (grants.size() >= MAX_PENDING) {
            grants.values().removeIf(g -> !g.expiresAt().isAfter(now));
            grantsByUserCode.values().removeIf(digest -> !grants.containsKey(digest));
            sessions.values().removeIf(s -> !s.endsAt().isAfter(now));
            chainsByRefresh.values().removeIf(chain -> !sessions.containsKey(chain));
            if (grants.size() >= MAX_PENDING) {
                return false;
            }
        }
        if (grantsByUserCode.containsKey(grant.userCode())) {
            return false;
        }
        grants.put(grant.deviceCodeDigest(), grant);
        grantsByUserCode.put(grant.userCode(), grant.deviceCodeDigest());
        return true;
    }

    @Override
    public synchronized Optional<DeviceGrant> grantByDeviceCode(String deviceCodeDigest) {
        return Optional.ofNullable(grants.get(deviceCodeDigest));
    }

    @Override
    public synchronized Optional<DeviceGrant> grantByUserCode(String userCode) {
        String digest = grantsByUserCode.get(userCode);
        return digest == null ? Optional.empty() : Optional.ofNullable(grants.get(digest));
    }

    @Override
    public synchronized boolean decide(String userCode, DeviceGrant.State decision, Person person, Instant now) {
        Optional<DeviceGrant> grant = grantByUserCode(userCode);
        if (grant.isEmpty() || grant.get().state() != DeviceGrant.State.PENDING || !grant.get().expiresAt().isAfter(now)) {
            return false;
        }
        grants.put(grant.get().deviceCodeDigest(), grant.get().decided(decision, person));
        return true;
    }

    @Override
    public synchronized Optional<DeviceGrant> poll(String deviceCodeDigest, Instant now) {
        DeviceGrant grant = grants.get(deviceCodeDigest);
        if (grant == null) {
            return Optional.empty();
        }
        grants.put(deviceCodeDigest, grant.polled(now));
        return Optional.of(grant);
    }

    @Override
    public synchronized void removeGrant(String deviceCodeDigest) {
        DeviceGrant grant = grants.remove(deviceCodeDigest);
        if (grant != null) {
            grantsByUserCode.remove(grant.userCode());
        }
    }

    @Override
    public synchronized boolean putSession(SignInSession session, Optional<String> previousRefreshDigest) {
        SignInSession current = sessions.get(session.chainId());
        if (previousRefreshDigest.isPresent()
                ? current == null || !current.refreshDigest().equals(previousRefreshDigest.get())
                : current != null) {
            return false;
        }
        sessions.put(session.chainId(), session);
        chainsByRefresh.put(session.refreshDigest(), session.chainId());
        return true;
    }

    @Override
    public synchronized Optional<SignInSession> sessionByRefresh(String refreshDigest) {
        String chain = chainsByRefresh.get(refreshDigest);
        return chain == null ? Optional.empty() : Optional.ofNullable(sessions.get(chain));
    }

    @Override
    public synchronized Optional<SignInSession> sessionByAccessToken(TokenId id) {
        return sessions.values().stream().filter(s -> s.accessTokenId().equals(id)).findFirst();
    }

    @Override
    public synchronized List<SignInSession> sessionsOf(String subject) {
        return sessions.values().stream().filter(s -> s.person().subject().equals(subject)).toList();
    }

    @Override
    public synchronized void end(String chainId) {
        sessions.remove(chainId);
        chainsByRefresh.values().removeIf(chainId::equals);
    }
}
