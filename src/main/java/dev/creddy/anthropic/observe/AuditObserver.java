package dev.creddy.anthropic.observe;

import dev.creddy.anthropic.forward.ExchangeEnd;
import dev.creddy.anthropic.forward.ExchangeObserver;
import dev.creddy.anthropic.forward.ForwardedRequest;
import dev.creddy.anthropic.token.TokenRecord;

/**
 * Writes each finished exchange's audit line ({@code event: forward}) to the {@link AuditLog}. It hears
 * only the end, which arrives off the reactor threads. Thread-safe.
 */
public final class AuditObserver implements ExchangeObserver {

    private final AuditLog audit;
    /** Only the end matters here: one stateless observation serves every exchange. */
    private final Observation onEnd;

    public AuditObserver(AuditLog audit) {
        this.audit = audit;
        this.onEnd = this::record;
    }

    @Override
    public Observation started(ForwardedRequest request) {
        return onEnd;
    }

    private void record(ExchangeEnd end) {
        audit.record(entry(end));
    }

    /** The audit line of a finished exchange. */
    public static AuditEntry entry(ExchangeEnd end) {
        ForwardedRequest request = end.request();
        TokenRecord caller = request.caller();
        return AuditEntry.forwarded(end.endedAt().toString(), end.exchangeId(), caller.agentName(), caller.id().value(),
                request.clientAddress(), request.method(), request.path(), end.status(), end.outcome().wireName(),
                end.durationMillis(), end.upstreamRequestId(), end.model(), end.used(), caller.identity().orElse(null));
    }
}
