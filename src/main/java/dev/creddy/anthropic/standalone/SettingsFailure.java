package dev.creddy.anthropic.standalone;

import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Notices that the application refused its settings while it started, so the launcher can exit with
 * 2 (a wrong configuration: restarting will not fix it) and that one line, instead of 1 and "see the
 * log above". The launcher imports nothing from the application: the refusal is recognised by the
 * exception's class name in what Tomcat logs about the failed start. Its message names the settings
 * and their sources, never a secret's value.
 *
 * <p>Thread-safe: log records may arrive on any thread; the first refusal wins.
 */
final class SettingsFailure extends Handler {

    private static final String REFUSAL = "dev.creddy.anthropic.config.InvalidSettingsException";

    private final AtomicReference<String> message = new AtomicReference<>();

    /** Starts listening on the root logger (where Tomcat's start-up errors end). */
    static SettingsFailure watch() {
        SettingsFailure watcher = new SettingsFailure();
        Logger.getLogger("").addHandler(watcher);
        return watcher;
    }

    /** Stops listening; afterwards the refusal, if there was one, stays readable. */
    void stopWatching() {
        Logger.getLogger("").removeHandler(this);
    }

    /** @throws MisconfiguredException with the application's one-line message, if it refused its settings */
    void throwIfRefused() {
        String refusal = message.get();
        if (refusal != null) {
            throw new MisconfiguredException(refusal);
        }
    }

    @Override
    public void publish(LogRecord record) {
        note(record.getThrown());
    }

    /** Remembers the application's refusal if {@code failure} is one or was caused by one. */
    void note(Throwable failure) {
        int depth = 0;
        for (Throwable cause = failure; cause != null && depth < 50; cause = cause.getCause(), depth++) {
            if (cause.getClass().getName().equals(REFUSAL)) {
                message.compareAndSet(null, cause.getMessage());
                return;
            }
        }
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }

    /** The application refused its settings: the message names them. */
    static final class MisconfiguredException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        MisconfiguredException(String message) {
            super(message, null, false, false);
        }
    }
}
