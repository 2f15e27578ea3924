package dev.creddy.anthropic.observe;

import dev.creddy.anthropic.forward.ExchangeEnd;
import dev.creddy.anthropic.forward.ExchangeObserver;
import dev.creddy.anthropic.forward.ForwardedRequest;
import dev.creddy.anthropic.usage.UsageLedger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Adds each finished exchange's usage to the {@link UsageLedger}: one request, an error when it did not
 * complete, and the tokens the response reported (for a stream cut short, what the upstream had
 * reported before the cut: {@code message_start}'s input tokens at least). Never throws, never waits for
 * a remote store. Thread-safe.
 */
public final class UsageRecorder implements ExchangeObserver {

    private static final Logger LOG = Logger.getLogger(UsageRecorder.class.getName());

    private final UsageLedger ledger;
    private final Observation onEnd;

    public UsageRecorder(UsageLedger ledger) {
        this.ledger = ledger;
        this.onEnd = this::record;
    }

    @Override
    public Observation started(ForwardedRequest request) {
        return onEnd;
    }

    private void record(ExchangeEnd end) {
        try {
            // A batch's results download is recorded by its gate: each result line is charged once.
            if (end.spend() == null || !end.spend().recordsUsage()) {
                ledger.record(end.request().caller(), end.used(), end.endedAt());
            }
            if (end.spend() != null) {
                end.spend().settle(end.used(), end.endedAt());
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "usage of an exchange could not be recorded: {0}", e.getClass().getName());
        }
    }
}
