package dev.creddy.anthropic.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where a JFR recording says the time went: the top frames of {@code jdk.ExecutionSample} (the
 * method on CPU), and the share of samples whose stack holds a frame of each suspect the issue
 * names (reflective dispatch, regular expressions, JSON-B, java.util.logging, JSON-P). Stateless.
 *
 * <p>Usage: {@code JfrTop FILE.jfr [top-count]}; prints Markdown.
 */
public final class JfrTop {

    /** A suspect: a label and the frame prefixes that mark it, anywhere in the stack. */
    private record Suspect(String label, List<String> prefixes) {
    }

    private static final List<Suspect> SUSPECTS = List.of(
            new Suspect("reflective dispatch (`Method.invoke`)", List.of("java.lang.reflect.Method.invoke",
                    "jdk.internal.reflect.")),
            new Suspect("Weld proxies and contexts", List.of("org.jboss.weld.")),
            new Suspect("regular expressions (`java.util.regex`)", List.of("java.util.regex.")),
            new Suspect("JSON-B binding (Yasson)", List.of("org.eclipse.yasson.")),
            new Suspect("JSON-P generator (Parsson)", List.of("org.eclipse.parsson.")),
            new Suspect("java.util.logging", List.of("java.util.logging.")),
            new Suspect("the audit line (`AuditLog`, `AuditLine`)", List.of("dev.creddy.anthropic.observe.Audit")),
            new Suspect("metrics (Micrometer)", List.of("io.micrometer.")),
            new Suspect("token validation (`TokenSecrets`, registry)", List.of("dev.creddy.anthropic.token.")),
            new Suspect("Tomcat (connector, servlet)", List.of("org.apache.tomcat.", "org.apache.coyote.", "org.apache.catalina.")),
            new Suspect("HttpClient 5 / HttpCore 5", List.of("org.apache.hc.")),
            new Suspect("socket I/O (`sun.nio.ch`)", List.of("sun.nio.ch.")));

    private JfrTop() {
    }

    public static void main(String[] args) throws IOException {
        int top = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        System.out.print(summarize(Path.of(args[0]), top));
    }

    /** The Markdown summary of one recording. */
    static String summarize(Path recording, int top) throws IOException {
        Map<String, Integer> topFrames = new HashMap<>();
        Map<String, Integer> threads = new HashMap<>();
        Map<String, Integer> suspects = new LinkedHashMap<>();
        SUSPECTS.forEach(s -> suspects.put(s.label(), 0));
        int samples = 0;
        for (RecordedEvent event : RecordingFile.readAllEvents(recording)) {
            if (!event.getEventType().getName().equals("jdk.ExecutionSample")) {
                continue;
            }
            RecordedStackTrace stack = event.getStackTrace();
            if (stack == null || stack.getFrames().isEmpty()) {
                continue;
            }
            samples++;
            // Numbered threads of one pool count together: http-nio-…-exec-12 is one of Tomcat's executors.
            String thread = event.getThread("sampledThread") == null ? "?" : event.getThread("sampledThread").getJavaName();
            threads.merge(thread == null ? "?" : thread.replaceAll("\\d+", "N"), 1, Integer::sum);
            topFrames.merge(name(stack.getFrames().get(0)), 1, Integer::sum);
            Set<String> hit = new HashSet<>();
            for (RecordedFrame frame : stack.getFrames()) {
                String name = name(frame);
                for (Suspect suspect : SUSPECTS) {
                    for (String prefix : suspect.prefixes()) {
                        if (name.startsWith(prefix)) {
                            hit.add(suspect.label());
                        }
                    }
                }
            }
            hit.forEach(label -> suspects.merge(label, 1, Integer::sum));
        }
        StringBuilder text = new StringBuilder();
        text.append(String.format(Locale.ROOT, "%,d execution samples in %s%n%n", samples, recording.getFileName()));
        text.append("| top frame | samples | share |\n|---|---|---|\n");
        List<Map.Entry<String, Integer>> sorted = new ArrayList<>(topFrames.entrySet());
        sorted.sort(Map.Entry.<String, Integer>comparingByValue().reversed());
        for (Map.Entry<String, Integer> entry : sorted.subList(0, Math.min(top, sorted.size()))) {
            text.append(String.format(Locale.ROOT, "| `%s` | %d | %.1f%% |%n", entry.getKey(), entry.getValue(),
                    100.0 * entry.getValue() / Math.max(1, samples)));
        }
        text.append("\n| thread (pool) | samples | share |\n|---|---|---|\n");
        List<Map.Entry<String, Integer>> byThread = new ArrayList<>(threads.entrySet());
        byThread.sort(Map.Entry.<String, Integer>comparingByValue().reversed());
        for (Map.Entry<String, Integer> entry : byThread.subList(0, Math.min(8, byThread.size()))) {
            text.append(String.format(Locale.ROOT, "| `%s` | %d | %.1f%% |%n", entry.getKey(), entry.getValue(),
                    100.0 * entry.getValue() / Math.max(1, samples)));
        }
        text.append("\n| samples with a frame of … anywhere in the stack | samples | share |\n|---|---|---|\n");
        for (Map.Entry<String, Integer> entry : suspects.entrySet()) {
            text.append(String.format(Locale.ROOT, "| %s | %d | %.1f%% |%n", entry.getKey(), entry.getValue(),
                    100.0 * entry.getValue() / Math.max(1, samples)));
        }
        return text.toString();
    }

    private static String name(RecordedFrame frame) {
        return frame.getMethod().getType().getName() + "." + frame.getMethod().getName();
    }
}
