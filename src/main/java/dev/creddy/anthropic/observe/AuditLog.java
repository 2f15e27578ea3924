package dev.creddy.anthropic.observe;

import dev.creddy.anthropic.api.JsonCodec;
import dev.creddy.anthropic.token.TokenExpired;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The audit trail: one JSON line per forwarded or refused request and per token event (issued,
 * revoked, returned, expired), through the {@code creddy.audit} java.util.logging logger, so
 * operators route it with their container's own logging configuration. JSON encoding escapes control characters, so no agent name or path can
 * forge a line. Thread-safe.
 */
@ApplicationScoped
public class AuditLog {

    /** The logger name operators configure. */
    public static final String LOGGER_NAME = "creddy.audit";

    private static final Logger LOG = Logger.getLogger(LOGGER_NAME);

    private JsonCodec json;

    /** For CDI's proxy. */
    protected AuditLog() {
    }

    @Inject
    public AuditLog(JsonCodec json) {
        this.json = json;
    }

    /** Writes one entry at INFO. */
    public void record(AuditEntry entry) {
        if (LOG.isLoggable(Level.INFO)) {
            // logp: the caller is known, so JUL need not walk the stack to find it for every request.
            LOG.logp(Level.INFO, AuditLog.class.getName(), "record", json.toJson(entry));
        }
    }

    void expired(@Observes TokenExpired event) {
        record(AuditEntry.tokenExpired(event.record()));
    }
}
