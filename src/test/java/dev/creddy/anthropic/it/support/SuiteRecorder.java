package dev.creddy.anthropic.it.support;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * What the whole integration suite saw, for the leak audit that runs last: every log record of
 * the JVM from the first test on (and the output of processes a test hands in), every response the raw HTTP helpers received, and every token
 * issued. Registered as a JUnit Platform session listener, so it starts before any test class.
 */
public final class SuiteRecorder implements LauncherSessionListener {

    private static final LogCapture LOGS = LogCapture.start();
    private static final List<String> RESPONSES = new CopyOnWriteArrayList<>();
    private static final Set<String> TOKENS = ConcurrentHashMap.newKeySet();
    private static final List<String> PROCESS_LOGS = new CopyOnWriteArrayList<>();

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        // Loading this class started the capture; nothing else to do.
    }

    /** A response as a client received it: status line, headers and body. */
    public static void response(String text) {
        RESPONSES.add(text);
    }

    /** A token the suite was issued. */
    public static void token(String token) {
        TOKENS.add(token);
    }

    /** What a process the suite started (the standalone jar) logged, for the audit as well. */
    public static void processLog(String text) {
        PROCESS_LOGS.add(text);
    }

    public static List<String> logs() {
        List<String> all = new java.util.ArrayList<>(LOGS.texts());
        all.addAll(PROCESS_LOGS);
        return all;
    }

    public static List<String> responses() {
        return List.copyOf(RESPONSES);
    }

    public static Set<String> tokens() {
        return Set.copyOf(TOKENS);
    }
}
