package dev.creddy.anthropic.forward;

import dev.creddy.anthropic.token.TokenRecord;
import dev.creddy.anthropic.usage.Usage;

/**
 * Hears the life of each forwarded exchange, for metrics: the exchange calls it at points it already
 * has, and the observer must return at once (count, never block, never throw).
 *
 * <p>Implementations are thread-safe: the calls of one exchange arrive on container threads,
 * HttpClient's reactor threads and the deadline timer.
 */
public interface ExchangeObserver {

    /**
     * A new exchange, before anything is sent. Called once, on the container thread.
     *
     * @param caller the authenticated token
     * @param method the client's method
     * @param path the decoded, normalised path within the application
     * @return what hears the rest of this exchange
     */
    Observation started(TokenRecord caller, String method, String path);

    /** The rest of one exchange. */
    interface Observation {

        /** The upstream's status and headers arrived, {@code nanos} after the exchange started. At most once. */
        void responseHead(int status, long nanos);

        /** {@code bytes} of the client's body were read (on their way up). */
        void requestBodyRead(int bytes);

        /** {@code bytes} of the upstream's body were taken for the client (on their way down). */
        void responseBodyReceived(int bytes);

        /** What the exchange used, as the response reported it; called once, just before {@link #completed}. */
        void used(Usage used);

        /**
         * The exchange is over, {@code nanos} after it started. Exactly once.
         *
         * @param status what the client got, 0 when it left before any status
         * @param outcome how it ended, as the audit line says ({@code completed}, {@code client_disconnected}, …)
         */
        void completed(int status, String outcome, long nanos);
    }
}
