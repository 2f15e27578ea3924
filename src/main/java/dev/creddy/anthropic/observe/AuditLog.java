package dev.creddy.anthropic.observe;

import dev.creddy.anthropic.token.TokenExpired;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The audit trail: one JSON line per forwarded or refused request and per token event (issued,
 * revoked, returned, expired), through the {@code creddy.audit} java.util.logging logger, so
 * operators route it with their container's own logging configuration. JSON encoding escapes control
 * characters, so no agent name or path can forge a line.
 *
 * <p>Asynchronous ({@link AuditSink}): {@link #record} only queues the entry; one writer thread encodes
 * it with a streaming JSON generator ({@link AuditLine}) and calls the logger, so a slow log
 * destination never slows a request or a stream. Lines the full queue could not take are dropped
 * and counted ({@code creddy.audit.dropped}), with at most one WARNING a minute while it happens.
 * Lines keep the order in which they were recorded. The writer is stopped with the deployment after
 * writing what is queued.
 *
 * <p>Thread-safe.
 */
@DeploymentSingleton
public class AuditLog {

    /** The logger name operators configure. */
    public static final String LOGGER_NAME = "creddy.audit";

    private static final Logger LOG = Logger.getLogger(LOGGER_NAME);

    private final ProxyMetrics metrics;
    private final AuditSink sink = new AuditSink(AuditSink.DEFAULT_CAPACITY, AuditLog::write, System::nanoTime);

    @Inject
    public AuditLog(ProxyMetrics metrics) {
        this.metrics = metrics;
    }

    @PostConstruct
    void start() {
        FunctionCounter.builder("creddy.audit.dropped", sink, AuditSink::dropped)
                .description("Audit lines dropped because the log destination of creddy.audit was slower than the requests")
                .register(metrics.registry());
        Gauge.builder("creddy.audit.queued", sink, AuditSink::queued)
                .description("Audit lines waiting to be written")
                .register(metrics.registry());
        sink.start();
    }

    /** Queues one entry, written at INFO. Never waits for the log destination. */
    public void record(AuditEntry entry) {
        if (LOG.isLoggable(Level.INFO)) {
            sink.record(entry);
        }
    }

    /** Called by the sink's writer thread only (and after shutdown by whoever records). */
    private static void write(String line) {
        // logp: the caller is known, so JUL need not walk the stack to find it for every line.
        LOG.logp(Level.INFO, AuditLog.class.getName(), "record", line);
    }

    void expired(@Observes TokenExpired event) {
        record(AuditEntry.tokenExpired(event.record()));
    }

    /** Writes what is queued, then ends the writer thread. */
    @PreDestroy
    void stop() {
        sink.close();
    }
}
