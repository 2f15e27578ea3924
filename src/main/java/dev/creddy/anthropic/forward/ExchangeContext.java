package dev.creddy.anthropic.forward;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.api.JsonCodec;
import dev.creddy.anthropic.ownership.ObjectOwners;
import dev.creddy.anthropic.usage.PriceTable;
import dev.creddy.anthropic.usage.SpendGate;
import dev.creddy.anthropic.usage.UsageLedger;
import java.util.Map;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * What every exchange shares, handed to each one instead of letting it pull collaborators out of the
 * {@link Forwarder}: the header policy, the upstream client, the timeouts, the error exit, the
 * observers and the executor the end of an exchange is reported on. Built once at deployment from
 * plain objects, so nothing on the forwarding path goes through a CDI client proxy. Immutable and
 * thread-safe.
 */
final class ExchangeContext {

    private final HeaderPolicy headers;
    private final UpstreamClient upstream;
    private final Duration headerTimeout;
    private final Duration bodyTimeout;
    private final ErrorExit errors;
    private final JsonCodec json;
    private final List<ExchangeObserver> observers;
    private final Executor ends;
    private final boolean usageMetering;
    private final TokenConnections connections;
    private final PriceTable prices;
    private final UsageLedger ledger;
    private final Map<String, Long> agentBudgets;
    private final RunningExchanges running;
    private final ObjectOwners owners;

    ExchangeContext(HeaderPolicy headers, UpstreamClient upstream, Duration headerTimeout, Duration bodyTimeout,
            ErrorExit errors, JsonCodec json, List<ExchangeObserver> observers, Executor ends, boolean usageMetering,
            TokenConnections connections, PriceTable prices, UsageLedger ledger, Map<String, Long> agentBudgets,
            RunningExchanges running, ObjectOwners owners) {
        this.headers = headers;
        this.upstream = upstream;
        this.headerTimeout = headerTimeout;
        this.bodyTimeout = bodyTimeout;
        this.errors = errors;
        this.json = json;
        this.observers = List.copyOf(observers);
        this.ends = ends;
        this.usageMetering = usageMetering;
        this.connections = connections;
        this.prices = prices;
        this.ledger = ledger;
        this.agentBudgets = Map.copyOf(agentBudgets);
        this.running = running;
        this.owners = owners;
    }

    HeaderPolicy headers() {
        return headers;
    }

    UpstreamClient upstream() {
        return upstream;
    }

    Duration headerTimeout() {
        return headerTimeout;
    }

    Duration bodyTimeout() {
        return bodyTimeout;
    }

    ErrorExit errors() {
        return errors;
    }

    boolean usageMetering() {
        return usageMetering;
    }

    TokenConnections connections() {
        return connections;
    }

    /** What metered tokens cost. */
    PriceTable prices() {
        return prices;
    }

    /** The dollar gate of one request, or null when no dollar budget holds it. */
    SpendGate spendGate(ForwardedRequest request) {
        return SpendGate.forRequest(ledger, prices, agentBudgets, request.caller(), request.method(), request.path());
    }

    /** The exchanges running now, by token, for revocations to end. */
    RunningExchanges running() {
        return running;
    }

    /** Who owns each file and batch, for the files a request body names. */
    ObjectOwners owners() {
        return owners;
    }

    /** Where the end of an exchange is reported: off the reactor threads. */
    Executor ends() {
        return ends;
    }

    byte[] errorJson(ApiError error) {
        return json.errorJson(error);
    }

    byte[] errorEvent(ApiError error) {
        return json.errorEvent(error);
    }

    /** Every observer's view of one new exchange. */
    ExchangeObserver.Observation started(ForwardedRequest request) {
        ExchangeObserver.Observation[] each = new ExchangeObserver.Observation[observers.size()];
        for (int i = 0; i < each.length; i++) {
            each[i] = observers.get(i).started(request);
        }
        return new Observations(each);
    }

    /** All observers of one exchange as one. */
    private record Observations(ExchangeObserver.Observation[] each) implements ExchangeObserver.Observation {
        @Override
        public void responseHead(int status, long nanos) {
            for (ExchangeObserver.Observation observation : each) {
                observation.responseHead(status, nanos);
            }
        }

        @Override
        public void requestBodyRead(int bytes) {
            for (ExchangeObserver.Observation observation : each) {
                observation.requestBodyRead(bytes);
            }
        }

        @Override
        public void responseBodyReceived(int bytes) {
            for (ExchangeObserver.Observation observation : each) {
                observation.responseBodyReceived(bytes);
            }
        }

        @Override
        public void ended(ExchangeEnd end) {
            for (ExchangeObserver.Observation observation : each) {
                try {
                    observation.ended(end);
                } catch (RuntimeException e) {
                    // One broken observer must not keep the others (or the client's completion) from their turn.
                    java.util.logging.Logger.getLogger(ExchangeContext.class.getName()).warning(
                            "an exchange observer failed: " + e.getClass().getName());
                }
            }
        }
    }
}
