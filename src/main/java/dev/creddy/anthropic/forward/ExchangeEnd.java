package dev.creddy.anthropic.forward;

import dev.creddy.anthropic.usage.SpendGate;
import dev.creddy.anthropic.usage.Usage;
import java.time.Instant;

/**
 * How one exchange ended, as its observers hear it. Immutable.
 *
 * @param exchangeId the proxy's id for the exchange (never the token)
 * @param request the request as the servlet worked it out
 * @param status what the client got, 0 when it left before any status
 * @param outcome how it ended
 * @param nanos from the request's arrival to the end
 * @param endedAt when it ended
 * @param upstreamRequestId the upstream's {@code request-id}, when it answered
 * @param model the first model the body named, when the token's allowlist had it read
 * @param used what it used: one request, an error when it did not complete with a status below 400, and
 *     the tokens the response reported (what arrived before a cut, for a stream that broke off)
 * @param spend the request's dollar reservation, to settle on its exact cost; null when no dollar
 *     budget holds it
 */
public record ExchangeEnd(String exchangeId, ForwardedRequest request, int status, Outcome outcome, long nanos,
        Instant endedAt, String upstreamRequestId, String model, Usage used, SpendGate spend) {

    /** An end without a dollar reservation. */
    public ExchangeEnd(String exchangeId, ForwardedRequest request, int status, Outcome outcome, long nanos,
            Instant endedAt, String upstreamRequestId, String model, Usage used) {
        this(exchangeId, request, status, outcome, nanos, endedAt, upstreamRequestId, model, used, null);
    }


    /** The duration in milliseconds, rounded to two places, as the audit line shows it. */
    public double durationMillis() {
        return Math.round(nanos / 10_000.0) / 100.0;
    }
}
