package dev.creddy.anthropic.forward;

import java.util.concurrent.atomic.AtomicReference;

/**
 * Where one exchange is, together with the status the client got and how it ended: one immutable
 * snapshot, moved only by {@link #transition}, so the phase, the status and the outcome can never
 * disagree (no field is written after the compare-and-set that decided it).
 *
 * <p>The phases only move forward: {@code GATED → AWAITING_HEAD → STREAMING → ENDED}, where any phase
 * may end. A move that the graph does not have (a second head, a head before the request went up)
 * is a bug and throws; a move that lost a race to the end ({@link #transition} from an exchange
 * another thread has already ended) is legal and answers false. Thread-safe.
 */
final class ExchangeState {

    /** The phases of an exchange. */
    enum Phase {
        /** The body is being read for the model check; nothing has gone up yet. */
        GATED,
        /** The upstream request went (or is going) up; the client has been told nothing yet. */
        AWAITING_HEAD,
        /**
         * The upstream's head is on the client's response (set with its body's first slice, at once for a
         * stream); the body streams. A head that has arrived but not yet gone can still give way to an error.
         */
        STREAMING,
        /** Over: {@link Snapshot#outcome()} says how. */
        ENDED
    }

    /**
     * One moment of the exchange.
     *
     * @param status the status the client got, 0 while none (and for a client that left before any)
     * @param outcome how it ended; null until {@link Phase#ENDED}
     */
    record Snapshot(Phase phase, int status, Outcome outcome) {
    }

    private final AtomicReference<Snapshot> current;

    ExchangeState(Phase initial) {
        if (initial != Phase.GATED && initial != Phase.AWAITING_HEAD) {
            throw new IllegalArgumentException("an exchange starts gated or awaiting the head, not " + initial);
        }
        current = new AtomicReference<>(new Snapshot(initial, 0, null));
    }

    Snapshot get() {
        return current.get();
    }

    Phase phase() {
        return current.get().phase();
    }

    boolean isEnded() {
        return current.get().phase() == Phase.ENDED;
    }

    /**
     * Moves to {@code to}, from whatever phase the exchange is in.
     *
     * @param status the status to record (kept as it was when 0)
     * @param outcome how it ended, for {@link Phase#ENDED} only
     * @return the phase it moved from, or null when the exchange had already ended (the move lost the race)
     * @throws IllegalStateException on a move the phase graph does not have
     */
    Phase transition(Phase to, int status, Outcome outcome) {
        if ((to == Phase.ENDED) != (outcome != null)) {
            throw new IllegalArgumentException("an outcome belongs to the end, and the end needs one");
        }
        while (true) {
            Snapshot was = current.get();
            if (was.phase() == Phase.ENDED) {
                return null;
            }
            if (!allowed(was.phase(), to)) {
                throw new IllegalStateException("exchange cannot move from " + was.phase() + " to " + to);
            }
            Snapshot next = new Snapshot(to, status != 0 ? status : was.status(), outcome);
            if (current.compareAndSet(was, next)) {
                return was.phase();
            }
        }
    }

    /** Ends the exchange; false when it had already ended. */
    boolean end(Outcome outcome, int status) {
        return transition(Phase.ENDED, status, outcome) != null;
    }

    /**
     * Ends the exchange with a failure. The client's status is the upstream's when its head already
     * went out, {@code statusWithoutHead} otherwise (the error the client is about to get, or 0) —
     * decided in the same compare-and-set as the end, so a head that wins the race keeps its status.
     *
     * @return the phase it ended from, or null when it had already ended
     */
    Phase fail(Outcome outcome, int statusWithoutHead) {
        while (true) {
            Snapshot was = current.get();
            if (was.phase() == Phase.ENDED) {
                return null;
            }
            int status = was.phase() == Phase.STREAMING ? was.status() : statusWithoutHead;
            if (current.compareAndSet(was, new Snapshot(Phase.ENDED, status, outcome))) {
                return was.phase();
            }
        }
    }

    private static boolean allowed(Phase from, Phase to) {
        return switch (from) {
            case GATED -> to == Phase.AWAITING_HEAD || to == Phase.ENDED;
            case AWAITING_HEAD -> to == Phase.STREAMING || to == Phase.ENDED;
            case STREAMING -> to == Phase.ENDED;
            case ENDED -> false;
        };
    }
}
