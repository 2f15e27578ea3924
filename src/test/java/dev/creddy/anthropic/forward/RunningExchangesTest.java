package dev.creddy.anthropic.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.token.TokenId;
import dev.creddy.anthropic.token.TokenRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The registry revocations find running exchanges in: an exchange that starts while the token's only
 * other exchange ends must still be found (before, {@code add} took the token's set, the ending
 * exchange's {@code remove} dropped the emptied set from the map, and the new exchange went into the
 * dropped set, out of every revocation's reach).
 */
@Timeout(60)
class RunningExchangesTest {

    private static final TokenRecord TOKEN = new TokenRecord(new TokenId("tok_running000000001"), "agent", Instant.now(),
            Instant.now().plus(Duration.ofHours(1)));

    /** An exchange only as the registry sees it: its token. Nothing in it is started. */
    private static Exchange exchange(String id) {
        ExchangeContext context = new ExchangeContext(null, null, Duration.ZERO, Duration.ZERO, null, null, List.of(), null,
                false, null, null, null, Map.of(), null, null);
        ForwardedRequest request = new ForwardedRequest("GET", "/v1/models", "/v1/models", 0, TOKEN, null, "127.0.0.1");
        return new Exchange(id, request, context, null, null, null, null, null, null, null);
    }

    @Test
    void anExchangeThatStartsWhileTheTokensOtherOneEndsIsStillFound() throws Exception {
        RunningExchanges running = new RunningExchanges(Runnable::run);
        int rounds = 20_000;
        Exchange[] ending = new Exchange[rounds];
        Exchange[] starting = new Exchange[rounds];
        for (int round = 0; round < rounds; round++) {
            ending[round] = exchange("ending");
            starting[round] = exchange("starting");
        }
        CyclicBarrier go = new CyclicBarrier(2);
        CyclicBarrier done = new CyclicBarrier(2);
        Thread ender = new Thread(() -> {
            for (int round = 0; round < rounds; round++) {
                await(go);
                running.remove(ending[round]);
                await(done);
            }
        });
        ender.setDaemon(true);
        ender.start();
        for (int round = 0; round < rounds; round++) {
            running.add(ending[round]);
            await(go);
            running.add(starting[round]);
            await(done);
            assertTrue(running.tokens().contains(TOKEN.id()), "round " + round + ": the starting exchange is out of reach");
            assertEquals(1, running.size(), "round " + round);
            running.remove(starting[round]);
            assertEquals(0, running.size());
        }
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
