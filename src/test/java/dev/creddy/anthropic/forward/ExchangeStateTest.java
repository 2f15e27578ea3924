package dev.creddy.anthropic.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.forward.ExchangeState.Phase;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

class ExchangeStateTest {

    @Test
    void aGatedExchangeGoesUpThenStreamsThenEnds() {
        ExchangeState state = new ExchangeState(Phase.GATED);
        assertEquals(Phase.GATED, state.transition(Phase.AWAITING_HEAD, 0, null));
        assertEquals(Phase.AWAITING_HEAD, state.transition(Phase.STREAMING, 200, null));
        assertTrue(state.end(Outcome.COMPLETED, 0));
        assertEquals(new ExchangeState.Snapshot(Phase.ENDED, 200, Outcome.COMPLETED), state.get());
    }

    @Test
    void movesTheGraphDoesNotHaveThrow() {
        ExchangeState state = new ExchangeState(Phase.AWAITING_HEAD);
        assertThrows(IllegalStateException.class, () -> state.transition(Phase.GATED, 0, null));
        state.transition(Phase.STREAMING, 200, null);
        assertThrows(IllegalStateException.class, () -> state.transition(Phase.STREAMING, 200, null), "a second head");
        assertThrows(IllegalStateException.class, () -> state.transition(Phase.AWAITING_HEAD, 0, null));
        assertThrows(IllegalArgumentException.class, () -> new ExchangeState(Phase.STREAMING));
        assertThrows(IllegalArgumentException.class, () -> state.transition(Phase.ENDED, 0, null), "an end needs an outcome");
    }

    @Test
    void aMoveAfterTheEndLosesQuietly() {
        ExchangeState state = new ExchangeState(Phase.AWAITING_HEAD);
        assertEquals(Phase.AWAITING_HEAD, state.fail(Outcome.UPSTREAM_TIMEOUT, 504));
        assertNull(state.transition(Phase.STREAMING, 200, null));
        assertNull(state.fail(Outcome.CLIENT_DISCONNECTED, 0));
        assertEquals(new ExchangeState.Snapshot(Phase.ENDED, 504, Outcome.UPSTREAM_TIMEOUT), state.get());
    }

    @Test
    void aFailureAfterTheHeadKeepsTheUpstreamsStatus() {
        ExchangeState state = new ExchangeState(Phase.AWAITING_HEAD);
        state.transition(Phase.STREAMING, 200, null);
        assertEquals(Phase.STREAMING, state.fail(Outcome.CLIENT_DISCONNECTED, 0));
        assertEquals(200, state.get().status());
    }

    /** The head and a failure race: exactly one wins, and the snapshot agrees with the winner. */
    @RepeatedTest(50)
    void exactlyOneOfHeadAndFailureWins() {
        ExchangeState state = new ExchangeState(Phase.AWAITING_HEAD);
        AtomicInteger headWon = new AtomicInteger();
        CompletableFuture<Void> head = CompletableFuture.runAsync(() -> {
            if (state.transition(Phase.STREAMING, 200, null) != null) {
                headWon.incrementAndGet();
            }
        });
        Phase failedFrom = state.fail(Outcome.UPSTREAM_TIMEOUT, 504);
        head.join();
        ExchangeState.Snapshot end = state.get();
        assertEquals(Phase.ENDED, end.phase());
        if (failedFrom == Phase.STREAMING) {
            assertEquals(1, headWon.get());
            assertEquals(200, end.status());
        } else {
            assertEquals(Phase.AWAITING_HEAD, failedFrom);
            assertEquals(0, headWon.get());
            assertEquals(504, end.status());
        }
    }
}
