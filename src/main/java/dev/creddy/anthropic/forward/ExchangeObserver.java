package dev.creddy.anthropic.forward;

/**
 * Hears the life of each forwarded exchange: metrics, the audit trail and the usage ledger are
 * observers. The in-flight calls ({@link Observation#responseHead}, the byte counts) arrive on the
 * threads that move the bytes, HttpClient's reactor threads included, and must only count; the end
 * ({@link Observation#ended}) is reported exactly once, on the exchanges' end executor, never on a
 * reactor thread, so an observer may take a lock or write a log line there.
 *
 * <p>Implementations are thread-safe and never throw.
 */
public interface ExchangeObserver {

    /**
     * A new exchange, before anything is sent. Called once, on the container thread.
     *
     * @return what hears the rest of this exchange
     */
    Observation started(ForwardedRequest request);

    /** The rest of one exchange. */
    interface Observation {

        /** The upstream's status and headers arrived, {@code nanos} after the exchange started. At most once. */
        default void responseHead(int status, long nanos) {
        }

        /** {@code bytes} of the client's body were read (on their way up). */
        default void requestBodyRead(int bytes) {
        }

        /** {@code bytes} of the upstream's body were taken for the client (on their way down). */
        default void responseBodyReceived(int bytes) {
        }

        /** The exchange is over. Exactly once, off the reactor threads, before the client's response is completed. */
        void ended(ExchangeEnd end);
    }
}
