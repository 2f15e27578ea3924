package dev.creddy.anthropic.forward;

import dev.creddy.anthropic.token.TokenRecord;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * How many upstream exchanges each token has in flight, held to {@code upstream-connections-per-token}
 * so that one token cannot take the whole shared pool (with uploads it never finishes, say) and starve
 * the others. Counted per token id; an entry goes away when its count falls to zero. Thread-safe.
 */
final class TokenConnections {

    /** One exchange's place in its token's count; released once. */
    static final class Permit {
        private final TokenConnections owner;
        private final String tokenId;
        private final AtomicBoolean released = new AtomicBoolean();

        private Permit(TokenConnections owner, String tokenId) {
            this.owner = owner;
            this.tokenId = tokenId;
        }

        /** Gives the place back; idempotent. */
        void release() {
            if (released.compareAndSet(false, true)) {
                owner.release(tokenId);
            }
        }
    }

    private final int perToken;
    private final ConcurrentHashMap<String, Integer> inFlight = new ConcurrentHashMap<>();

    TokenConnections(int perToken) {
        this.perToken = perToken;
    }

    int perToken() {
        return perToken;
    }

    /** A place for one more exchange of {@code caller}, or null when it already holds as many as it may. */
    Permit tryAcquire(TokenRecord caller) {
        String id = caller.id().value();
        boolean[] granted = new boolean[1];
        inFlight.compute(id, (key, count) -> {
            int now = count == null ? 0 : count;
            if (now >= perToken) {
                return count;
            }
            granted[0] = true;
            return now + 1;
        });
        return granted[0] ? new Permit(this, id) : null;
    }

    /** Exchanges {@code caller} has in flight now. */
    int inFlight(TokenRecord caller) {
        return inFlight.getOrDefault(caller.id().value(), 0);
    }

    private void release(String id) {
        inFlight.computeIfPresent(id, (key, count) -> count <= 1 ? null : count - 1);
    }
}
