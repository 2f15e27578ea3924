package dev.creddy.anthropic.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a process costs, read from outside: threads, resident memory and CPU time from
 * {@code /proc}, and for a JVM the heap in use after a full collection (through {@code jcmd}).
 * Stateless.
 */
final class JvmProbe {

    private static final Pattern HEAP_USED = Pattern.compile("total \\d+K, used (\\d+)K");
    private static final long CLOCK_TICKS_PER_SECOND = 100;

    private JvmProbe() {
    }

    /** Native threads of the process, as the kernel counts them. */
    static int threads(long pid) throws IOException {
        return (int) statusField(pid, "Threads:");
    }

    /** Resident set size in KB. */
    static long rssKb(long pid) throws IOException {
        return statusField(pid, "VmRSS:");
    }

    /** User plus system CPU time in microseconds, of the process and its direct children (nginx's workers). */
    static long cpuMicros(long pid) throws IOException {
        long ticks = ticks(pid);
        Path children = Path.of("/proc", Long.toString(pid), "task", Long.toString(pid), "children");
        if (Files.exists(children)) {
            for (String child : Files.readString(children).trim().split("\\s+")) {
                if (!child.isEmpty()) {
                    ticks += ticks(Long.parseLong(child));
                }
            }
        }
        return ticks * 1_000_000 / CLOCK_TICKS_PER_SECOND;
    }

    private static long ticks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        // The command name may hold spaces; the fields after its closing parenthesis do not.
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    /** HttpClient's live I/O reactor threads ({@code httpclient-dispatch-N}), from a thread dump. */
    static int ioReactorThreads(long pid) throws IOException, InterruptedException {
        String dump = Processes.run(List.of("jcmd", Long.toString(pid), "Thread.print"), 60);
        return (int) dump.lines().filter(line -> line.startsWith("\"httpclient-dispatch-")).count();
    }

    /** Runs a full collection, then returns the heap in use in KB: the live set. */
    /** The live objects by class (after a full collection), as {@code jcmd GC.class_histogram} prints them. */
    static String classHistogram(long pid) throws IOException, InterruptedException {
        return Processes.run(List.of("jcmd", Long.toString(pid), "GC.class_histogram"), 120);
    }

    /** Every thread's name and stack, as {@code jcmd Thread.print} prints them. */
    static String threadDump(long pid) throws IOException, InterruptedException {
        return Processes.run(List.of("jcmd", Long.toString(pid), "Thread.print"), 60);
    }

    static long liveHeapKb(long pid) throws IOException, InterruptedException {
        Processes.run(List.of("jcmd", Long.toString(pid), "GC.run"), 60);
        return heapUsedKb(pid);
    }

    /**
     * The heap in use in KB, garbage included: the sum over the collector's spaces (G1 reports one
     * heap; Serial and Parallel, which the JVM picks when it sees one CPU, report each generation).
     */
    static long heapUsedKb(long pid) throws IOException, InterruptedException {
        String info = Processes.run(List.of("jcmd", Long.toString(pid), "GC.heap_info"), 60);
        int metaspace = info.indexOf("Metaspace");
        Matcher matcher = HEAP_USED.matcher(metaspace < 0 ? info : info.substring(0, metaspace));
        long used = 0;
        boolean found = false;
        while (matcher.find()) {
            used += Long.parseLong(matcher.group(1));
            found = true;
        }
        if (!found) {
            throw new IOException("unexpected GC.heap_info output: " + info);
        }
        return used;
    }

    private static long statusField(long pid, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
            }
        }
        throw new IOException("no " + field + " in /proc/" + pid + "/status");
    }
}
