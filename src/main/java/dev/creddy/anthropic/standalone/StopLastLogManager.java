package dev.creddy.anthropic.standalone;

import java.util.logging.LogManager;

/**
 * A {@link LogManager} whose handlers stay open until the launcher's stop is done. The JDK's own
 * manager closes every handler from a shutdown hook of its own, which runs at the same time as the
 * launcher's: everything logged during a stop was lost, the audit lines of the streams that finish
 * within {@code shutdown-grace} among them. Tomcat's JULI {@code ClassLoaderLogManager} solves this
 * the same way for Tomcat's scripts, but also brings per-class-loader configuration files the jar
 * does not want, so these few lines are ours.
 *
 * <p>Thread-safe: the hold is a volatile flag; {@link LogManager#reset} synchronizes itself.
 */
public final class StopLastLogManager extends LogManager {

    private volatile boolean held;

    /** Ignores resets from now on, the JDK's shutdown hook's among them, until {@link #release}. */
    void hold() {
        held = true;
    }

    /** Closes every handler, flushing what they hold: the last thing a stop does. */
    void release() {
        held = false;
        super.reset();
    }

    @Override
    public void reset() {
        if (!held) {
            super.reset();
        }
    }
}
