package dev.creddy.anthropic.token;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.function.Executable;

/** Asserts that a call on a Redis-backed part fails closed, naming the store, within the command timeout. */
public final class FailsClosed {

    /** Slack for scheduling on a busy machine: a call that waited far longer than the timeout did not honour it. */
    private static final Duration SLACK = Duration.ofMillis(700);

    private FailsClosed() {
    }

    /** Runs {@code call}, expecting {@link TokenStoreUnavailableException} within {@code commandTimeout}; how long it took. */
    public static Duration within(Duration commandTimeout, Executable call) {
        long start = System.nanoTime();
        TokenStoreUnavailableException e = assertThrows(TokenStoreUnavailableException.class, call);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertTrue(e.getMessage().startsWith("token store unavailable: Redis"), e.getMessage());
        assertTrue(took.compareTo(commandTimeout.plus(SLACK)) < 0, "took " + took);
        return took;
    }
}
