package dev.creddy.anthropic.it.support;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Captures java.util.logging records from every logger of the JVM (embedded Tomcat and the WAR log
 * through the same LogManager), so tests can read audit lines and check that no secret was logged.
 */
public final class LogCapture extends Handler {

    private final List<LogRecord> records = new ArrayList<>();
    private final List<Logger> attached = new ArrayList<>();

    /** Starts capturing on the root logger, which every logger passes its records to. */
    public static LogCapture start() {
        LogCapture capture = new LogCapture();
        capture.setLevel(Level.ALL);
        capture.attach(Logger.getLogger(""));
        return capture;
    }

    private void attach(Logger logger) {
        logger.addHandler(this);
        attached.add(logger);
    }

    @Override
    public synchronized void publish(LogRecord record) {
        records.add(record);
    }

    /** Everything captured, as text: logger, message, parameters and any exception with its causes. */
    public synchronized List<String> texts() {
        List<String> texts = new ArrayList<>();
        for (LogRecord record : records) {
            StringBuilder text = new StringBuilder(record.getLoggerName()).append(": ").append(record.getMessage());
            if (record.getParameters() != null) {
                for (Object parameter : record.getParameters()) {
                    text.append(" | ").append(parameter);
                }
            }
            for (Throwable t = record.getThrown(); t != null; t = t.getCause()) {
                text.append(" | ").append(t);
            }
            texts.add(text.toString());
        }
        return texts;
    }

    /** The messages of one logger. */
    public synchronized List<String> messagesOf(String loggerName) {
        return records.stream().filter(r -> loggerName.equals(r.getLoggerName())).map(LogRecord::getMessage).toList();
    }

    /** The audit trail so far ({@code creddy.audit}), one JSON object per line. */
    public List<jakarta.json.JsonObject> auditLines() {
        return messagesOf("creddy.audit").stream()
                .map(line -> jakarta.json.Json.createReader(new java.io.StringReader(line)).readObject())
                .toList();
    }

    /**
     * How many audit lines of {@code event} for {@code path} with {@code status} there are, once at
     * least {@code atLeast} of them have arrived (or 5 s have passed): an audit line may follow its
     * response by a moment.
     */
    public long awaitAuditCount(String event, String path, int status, long atLeast) {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
        long count;
        do {
            count = auditLines().stream().filter(line -> event.equals(line.getString("event", ""))
                    && path.equals(line.getString("path", "")) && line.getInt("status", 0) == status).count();
        } while (count < atLeast && System.nanoTime() < deadline && pause());
        return count;
    }

    private static boolean pause() {
        Thread.onSpinWait();
        return true;
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        for (Logger logger : attached) {
            logger.removeHandler(this);
        }
    }
}
