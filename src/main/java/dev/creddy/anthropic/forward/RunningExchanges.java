package dev.creddy.anthropic.forward;

import dev.creddy.anthropic.token.TokenId;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * The exchanges running on this instance, by token id, so that a revocation (heard here or, with
 * Redis, on the revocation channel from any instance) ends every one of them. An exchange is in it
 * from its start to its end. Thread-safe: a revocation may arrive on any thread, and the exchanges
 * are ended on {@code executor}, never on the thread that brought the news (a Lettuce thread).
 */
final class RunningExchanges {

    private final ConcurrentHashMap<String, Set<Exchange>> byToken = new ConcurrentHashMap<>();
    private final Executor executor;

    RunningExchanges(Executor executor) {
        this.executor = executor;
    }

    void add(Exchange exchange) {
        // Added inside compute: added after computeIfAbsent returned, it could land in a set that the
        // token's last other exchange had just emptied and dropped from the map, out of every revocation's reach.
        byToken.compute(exchange.tokenId(), (id, running) -> {
            Set<Exchange> set = running == null ? ConcurrentHashMap.newKeySet() : running;
            set.add(exchange);
            return set;
        });
    }

    void remove(Exchange exchange) {
        byToken.computeIfPresent(exchange.tokenId(), (id, running) -> {
            running.remove(exchange);
            return running.isEmpty() ? null : running;
        });
    }

    /** Ends every running exchange of {@code id} as {@link Outcome#REVOKED}; returns at once. */
    void revoked(TokenId id) {
        Set<Exchange> running = byToken.get(id.value());
        if (running == null) {
            return;
        }
        for (Exchange exchange : running.toArray(Exchange[]::new)) {
            Runnable end = () -> exchange.fail(Outcome.REVOKED, null);
            try {
                executor.execute(end);
            } catch (RejectedExecutionException e) {
                // Shutting down: end it here.
                end.run();
            }
        }
    }

    /** The tokens with exchanges running now. */
    Set<TokenId> tokens() {
        Set<TokenId> tokens = new java.util.HashSet<>();
        for (String id : byToken.keySet()) {
            tokens.add(new TokenId(id));
        }
        return tokens;
    }

    /** How many exchanges run now, for tests. */
    int size() {
        return byToken.values().stream().mapToInt(Set::size).sum();
    }
}
