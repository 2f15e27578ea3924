package dev.creddy.anthropic.standalone;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.BindException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.logging.FileHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.StreamHandler;
import org.apache.juli.OneLineFormatter;
import org.apache.juli.VerbatimFormatter;

/**
 * The standalone jar's logging, in java.util.logging (which embedded Tomcat and the application
 * share, there being no per-application log manager here):
 * <ul>
 *   <li>the audit trail, logger {@value #AUDIT_LOGGER}, alone on stdout, or in a rotated file: each
 *       line is the JSON object and nothing else (Tomcat's {@link VerbatimFormatter}), so the stream
 *       can be shipped as JSON lines;</li>
 *   <li>everything else on stderr, one line per record (Tomcat's {@link OneLineFormatter}).</li>
 * </ul>
 * Until start-up is over the stderr lines are held back: a start that fails on a wrong setting then
 * prints that setting's message alone (the {@value #SETTINGS_LOGGER} lines), not the hundred lines
 * Tomcat logs around it; a healthy start prints them all at once.
 *
 * <p>Thread-safe: the held records are guarded by the handler's lock.
 */
final class ConsoleLogging {

    /** The application's audit logger (observe/AuditLog). */
    static final String AUDIT_LOGGER = "creddy.audit";
    /** The application logs each wrong setting here, at SEVERE, as it refuses to start (web/SettingsProducer). */
    static final String SETTINGS_LOGGER = "creddy.settings";

    /** What the file handler rotates at, and how many files it keeps. */
    private static final int AUDIT_FILE_LIMIT = 100 * 1024 * 1024;
    private static final int AUDIT_FILE_COUNT = 10;

    /** Held strongly: java.util.logging keeps loggers only weakly, and with them their handlers. */
    private static Logger audit;

    private final HeldBack stderr;

    private ConsoleLogging(HeldBack stderr) {
        this.stderr = stderr;
    }

    /**
     * Replaces the JVM's logging configuration with the launcher's.
     *
     * @param auditFile the audit file, or null for stdout
     * @throws IOException when the audit file cannot be opened
     */
    static ConsoleLogging install(Path auditFile) throws IOException {
        Handler auditHandler = auditFile == null ? new FlushingStreamHandler(System.out)
                : new FileHandler(auditFile.toString(), AUDIT_FILE_LIMIT, AUDIT_FILE_COUNT, true);
        auditHandler.setFormatter(new VerbatimFormatter());
        auditHandler.setEncoding(StandardCharsets.UTF_8.name());

        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        root.setLevel(Level.INFO);
        HeldBack stderr = new HeldBack(System.err);
        root.addHandler(stderr);
        audit = Logger.getLogger(AUDIT_LOGGER);
        audit.setUseParentHandlers(false);
        audit.setLevel(Level.INFO);
        audit.addHandler(auditHandler);
        return new ConsoleLogging(stderr);
    }

    /** The wrong settings the application named as it refused to start, one message each. */
    List<String> settingProblems() {
        return stderr.problems();
    }

    /** The first bind failure logged so far, if any: a listener that could not take its address. */
    Optional<BindException> bindFailure() {
        return stderr.bindFailure();
    }

    /** Start-up is over and went well: prints what was held back, and passes later records straight on. */
    void release() {
        stderr.release();
    }

    /** Start-up failed and the launcher says why itself: drops what was held back and everything after. */
    void silence() {
        stderr.silence();
    }

    /** A stream handler that flushes each record: an audit line must not wait in a buffer. */
    private static final class FlushingStreamHandler extends StreamHandler {
        FlushingStreamHandler(OutputStream out) {
            super(out, new VerbatimFormatter());
        }

        @Override
        public synchronized void publish(LogRecord record) {
            super.publish(record);
            flush();
        }

        /** Flushes, but never closes the process's stdout. */
        @Override
        public synchronized void close() {
            flush();
        }
    }

    /** Stderr, one line per record, holding records back while start-up runs. */
    private static final class HeldBack extends Handler {
        private enum Mode { HOLDING, PASSING, SILENT }

        private final PrintStream out;
        private final Formatter formatter = new OneLineFormatter();
        private final List<LogRecord> held = new ArrayList<>();
        private final List<String> problems = new ArrayList<>();
        private BindException bindFailure;
        private Mode mode = Mode.HOLDING;

        HeldBack(PrintStream out) {
            this.out = out;
            setLevel(Level.ALL);
        }

        @Override
        public synchronized void publish(LogRecord record) {
            if (!isLoggable(record)) {
                return;
            }
            // The caller is inferred from the stack when first asked for: ask now, on the logging thread.
            record.getSourceClassName();
            if (SETTINGS_LOGGER.equals(record.getLoggerName()) && record.getLevel().intValue() >= Level.SEVERE.intValue()) {
                problems.add(record.getMessage());
            }
            if (bindFailure == null) {
                bindFailure = bindException(record.getThrown());
            }
            switch (mode) {
                case HOLDING -> held.add(record);
                case PASSING -> print(record);
                case SILENT -> { }
            }
        }

        private static BindException bindException(Throwable thrown) {
            for (Throwable cause = thrown; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
                if (cause instanceof BindException bind) {
                    return bind;
                }
            }
            return null;
        }

        private void print(LogRecord record) {
            out.print(formatter.format(record));
            out.flush();
        }

        synchronized List<String> problems() {
            return List.copyOf(problems);
        }

        synchronized Optional<BindException> bindFailure() {
            return Optional.ofNullable(bindFailure);
        }

        synchronized void release() {
            held.forEach(this::print);
            held.clear();
            mode = Mode.PASSING;
        }

        synchronized void silence() {
            held.clear();
            mode = Mode.SILENT;
        }

        @Override
        public synchronized void flush() {
            out.flush();
        }

        @Override
        public void close() {
            flush();
        }
    }
}
