package dev.creddy.anthropic.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Issue 15's measurements that bench/run.sh's parts do not take, run by {@code bench/security.sh}:
 * <ul>
 *   <li>{@code stalled} (S13): the proxy's live heap per stream whose client never reads a large answer
 *       (a 5 MiB download, and an SSE stream), next to streams whose clients read along, in the same
 *       run: (live heap with N such streams − live heap idle) / N, after a full collection;</li>
 *   <li>{@code gate} (S15): what holding the upstream exchange until the model allowlist has decided
 *       costs: the same open-loop load of SDK-shaped {@code POST /v1/messages} with a token without a
 *       model allowlist (sent at once) and one with it (held until the model is read), interleaved
 *       rounds; latency percentiles and the proxy's CPU per request.</li>
 * </ul>
 * Starts the bench's fake upstream and the standalone proxy on 127.0.0.1, stops them by PID, writes
 * {@code <out>/security.md}. Not thread-safe: a main program.
 */
public final class SecurityBench {

    private static final String REAL_KEY = "sk-ant-bench-REAL-KEY-0123456789";
    private static final String ISSUER_KEY = "bench-issuer-key-0123456789abcdef";
    private static final Pattern LISTENING = Pattern.compile("listening on (?:http://)?127\\.0\\.0\\.1:(\\d+)");
    private static final String BODY = "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":64,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";

    private final Path out;
    private final Path jar;
    private final boolean quick;
    private final Set<String> parts;
    private final Processes processes;
    private final Report report = new Report();
    private int upstreamPort;
    private int proxyPort;
    private long proxyPid;

    private SecurityBench(Map<String, String> args) throws IOException {
        out = Path.of(args.get("out"));
        jar = Path.of(args.get("jar"));
        quick = args.containsKey("quick");
        parts = Set.of(args.getOrDefault("parts", "stalled,gate").split(","));
        Files.createDirectories(out);
        processes = new Processes(out);
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> args = new HashMap<>();
        for (int i = 0; i < argv.length; i++) {
            String name = argv[i].replaceFirst("^--", "");
            boolean flag = i + 1 >= argv.length || argv[i + 1].startsWith("--");
            args.put(name, flag ? "" : argv[++i]);
        }
        SecurityBench bench = new SecurityBench(args);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                bench.processes.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "bench-stop"));
        String load = Files.readString(Path.of("/proc/loadavg")).strip();
        ZonedDateTime started = ZonedDateTime.now();
        try {
            bench.start();
            if (bench.parts.contains("stalled")) {
                bench.stalled();
            }
            if (bench.parts.contains("gate")) {
                bench.gate();
            }
        } finally {
            bench.processes.close();
        }
        String preamble = "### Security measurements of " + started.toInstant() + "\n\n"
                + "`bench/security.sh" + (bench.quick ? " --quick" : "") + " --parts " + String.join(",", bench.parts)
                + "`; load average at the start " + load + ", at the end "
                + Files.readString(Path.of("/proc/loadavg")).strip() + " (" + Runtime.getRuntime().availableProcessors()
                + " cores, shared with the other engineers' builds and tests: compare rows of this run, not runs).\n";
        Path results = bench.out.resolve("security.md");
        bench.report.write(results, preamble);
        System.out.println(Files.readString(results));
        System.exit(0);
    }

    private void start() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Processes.Started upstream = processes.start("upstream", null, List.of(java, "-cp", System.getProperty("java.class.path"),
                FakeUpstream.class.getName(), "--key", REAL_KEY));
        upstreamPort = Integer.parseInt(upstream.await(LISTENING, 30));
        Processes.Started proxy = processes.start("proxy", null, List.of(java, "-jar", jar.toAbsolutePath().toString(),
                "--proxy", "--addr", "127.0.0.1:0", "--api-key", REAL_KEY, "--upstream", "http://127.0.0.1:" + upstreamPort,
                "--issuer-key", ISSUER_KEY));
        proxyPort = Integer.parseInt(proxy.await(LISTENING, 120));
        proxyPid = proxy.pid();
    }

    private String mint(String limits) throws IOException, InterruptedException {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + proxyPort + "/v1/tokens"))
                .header("Authorization", "Bearer " + ISSUER_KEY).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"ttl\":\"2h\",\"agent_name\":\"bench\"" + limits + "}")).build(),
                HttpResponse.BodyHandlers.ofString());
        Matcher token = Pattern.compile("\"token\":\"(crd_[^\"]+)\"").matcher(response.body());
        if (response.statusCode() != 201 || !token.find()) {
            throw new IllegalStateException("could not mint a token: " + response.statusCode());
        }
        return token.group(1);
    }

    private byte[] request(String token, String query) {
        byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
        return ("POST /v1/messages" + query + " HTTP/1.1\r\nhost: 127.0.0.1:" + proxyPort + "\r\ncontent-type: application/json\r\n"
                + "anthropic-version: 2023-06-01\r\nx-api-key: " + token + "\r\ncontent-length: " + body.length + "\r\n\r\n" + BODY)
                .getBytes(StandardCharsets.ISO_8859_1);
    }

    // --- S13: stalled streams ------------------------------------------------------------------

    private void stalled() throws Exception {
        String token = mint("");
        int count = quick ? 25 : 100;
        // Warm the paths up at full count, so that the baseline already holds their classes, JIT'd code and
        // the pools' grown structures (a first, unwarmed measurement read about 8 MB of those as the streams').
        holdStreams(token, "?bytes=" + (5 * 1024 * 1024), count, false, 3).forEach(SecurityBench::closeQuietly);
        holdStreams(token, "?events=2000&gap_ms=1", count, false, 3).forEach(SecurityBench::closeQuietly);
        Thread.sleep(2000);
        List<String[]> rows = new ArrayList<>();
        rows.add(measure(token, count, "?bytes=" + (5 * 1024 * 1024), false, "5 MiB download, client never reads"));
        rows.add(measure(token, count, "?events=5000&gap_ms=1", false, "SSE (5,000 deltas, 1 ms apart), client never reads"));
        rows.add(measure(token, count, "?hold=1&gap_ms=1000", true, "peer: SSE held open, client reads along"));
        report.heading("S13: live heap per stalled stream");
        report.text(count + " streams at once through the standalone proxy (defaults), each on its own connection; "
                + "the stalled clients set a 4 KB receive buffer and never read. Live heap = heap in use after "
                + "`jcmd GC.run`, measured with the streams open (5 s after the last one started) minus the same "
                + "idle just before, and minus the idle heap once they are closed (\"after\"): the two per-stream "
                + "figures bracket it when the idle heap drifts. The documented bound is 64 KB per direction per exchange.");
        report.text("Live objects = the sum of `jcmd GC.class_histogram` (which collects first and counts reachable "
                + "objects only) with the streams open minus idle; `histogram-*.txt` lists the classes that grew.");
        report.table(new String[] {"streams", "idle heap", "with the streams", "after closing", "per stream (vs idle)",
            "per stream (vs after)", "live objects per stream"}, rows);
    }

    private String[] measure(String token, int count, String query, boolean reads, String label) throws Exception {
        Map<String, Long> idleObjects = liveObjects();
        long idle = JvmProbe.liveHeapKb(proxyPid);
        List<Socket> sockets = holdStreams(token, query, count, reads, 5);
        long held = JvmProbe.liveHeapKb(proxyPid);
        // What the streams hold, by class: every live object (the histogram collects first), minus the idle ones.
        Map<String, Long> heldObjects = liveObjects();
        sockets.forEach(SecurityBench::closeQuietly);
        Thread.sleep(3000);
        long after = JvmProbe.liveHeapKb(proxyPid);
        long objectBytes = heldObjects.get(TOTAL) - idleObjects.get(TOTAL);
        StringBuilder grown = new StringBuilder("bytes per stream by class, live objects with the streams open minus idle ("
                + count + " streams)\n");
        heldObjects.entrySet().stream().filter(entry -> !entry.getKey().equals(TOTAL))
                .map(entry -> Map.entry(entry.getKey(), entry.getValue() - idleObjects.getOrDefault(entry.getKey(), 0L)))
                .sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).limit(25)
                .forEach(entry -> grown.append(String.format(Locale.ROOT, "%,10d  %s%n", entry.getValue() / count, entry.getKey())));
        Files.writeString(out.resolve("histogram-" + (reads ? "reading" : "stalled") + "-" + query.replaceAll("[^a-z0-9]+", "_")
                + ".txt"), grown.toString());
        return new String[] {label, String.format(Locale.ROOT, "%,d KB", idle), String.format(Locale.ROOT, "%,d KB", held),
                String.format(Locale.ROOT, "%,d KB", after), String.format(Locale.ROOT, "%,.1f KB", (held - idle) / (double) count),
                String.format(Locale.ROOT, "%,.1f KB", (held - after) / (double) count),
                String.format(Locale.ROOT, "%,.1f KB", objectBytes / 1024.0 / count)};
    }

    private static final String TOTAL = "(total)";

    /**
     * The proxy's live objects by class, in bytes, and their sum under {@link #TOTAL}: {@code jcmd
     * GC.class_histogram} collects first and counts only reachable objects, so unlike the heap in use it
     * does not depend on how the collector compacted its regions.
     */
    private Map<String, Long> liveObjects() throws Exception {
        Map<String, Long> bytes = new java.util.HashMap<>();
        for (String line : Processes.run(List.of("jcmd", Long.toString(proxyPid), "GC.class_histogram"), 60).lines().toList()) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length >= 3 && fields[0].equals("Total")) {
                bytes.put(TOTAL, Long.parseLong(fields[2]));
            } else if (fields.length >= 4 && fields[0].endsWith(":")) {
                bytes.merge(fields[3], Long.parseLong(fields[2]), Long::sum);
            }
        }
        return bytes;
    }

    /** Opens {@code count} streams, waits {@code settleSeconds}, and returns their sockets (a reader thread each, if {@code reads}). */
    private List<Socket> holdStreams(String token, String query, int count, boolean reads, int settleSeconds) throws Exception {
        List<Socket> sockets = new ArrayList<>(count);
        byte[] request = request(token, query);
        for (int i = 0; i < count; i++) {
            Socket socket = new Socket();
            socket.setReceiveBufferSize(4 * 1024);
            socket.connect(new InetSocketAddress("127.0.0.1", proxyPort), 5_000);
            OutputStream up = socket.getOutputStream();
            up.write(request);
            up.flush();
            if (reads) {
                Thread reader = new Thread(() -> {
                    byte[] buffer = new byte[8192];
                    try {
                        while (socket.getInputStream().read(buffer) >= 0) {
                            // Read along, as a live client does.
                        }
                    } catch (IOException closed) {
                        // The measurement closed it.
                    }
                }, "reader-" + i);
                reader.setDaemon(true);
                reader.start();
            }
            sockets.add(socket);
        }
        Thread.sleep(TimeUnit.SECONDS.toMillis(settleSeconds));
        return sockets;
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // Closing is all that is left to do.
        }
    }

    // --- S15: the model gate ------------------------------------------------------------------

    private void gate() throws Exception {
        String open = mint("");
        String gated = mint(",\"models\":[\"claude-sonnet-4-5\"]");
        InetSocketAddress proxy = new InetSocketAddress("127.0.0.1", proxyPort);
        long seconds = quick ? 3 : 10;
        int[] rates = quick ? new int[] {500} : new int[] {500, 2000};
        new OpenLoopLoad(proxy, request(open, ""), 64).run(1000, TimeUnit.SECONDS.toNanos(quick ? 3 : 10));
        new OpenLoopLoad(proxy, request(gated, ""), 64).run(1000, TimeUnit.SECONDS.toNanos(quick ? 3 : 10));
        List<String[]> rows = new ArrayList<>();
        for (int rate : rates) {
            // Interleaved rounds, so that the machine's other load falls on both alike.
            for (int round = 0; round < 2; round++) {
                for (String[] kind : new String[][] {{"no model allowlist (sent at once)", open},
                        {"model allowlist (held until the model is read)", gated}}) {
                    long cpuBefore = JvmProbe.cpuMicros(proxyPid);
                    OpenLoopLoad.Result result = new OpenLoopLoad(proxy, request(kind[1], ""), 64)
                            .run(rate, TimeUnit.SECONDS.toNanos(seconds));
                    double cpu = (JvmProbe.cpuMicros(proxyPid) - cpuBefore) / (double) Math.max(1, result.completed());
                    rows.add(new String[] {String.valueOf(rate), String.valueOf(round + 1), kind[0],
                            Report.num(result.achievedRps(), 0), String.valueOf(result.errors()),
                            Report.ms(result.latency().getValueAtPercentile(50)), Report.ms(result.latency().getValueAtPercentile(99)),
                            Report.num(cpu, 0) + " µs"});
                }
            }
        }
        report.heading("S15: the model gate's cost");
        report.text("Open loop (wrk2's method, 64 connections, " + seconds + " s per round) of SDK-shaped `POST /v1/messages` "
                + "(the model is the body's first member) through the standalone proxy to the fake upstream; the same load "
                + "with a token without a model allowlist and with `\"models\":[\"claude-sonnet-4-5\"]`, whose upstream "
                + "exchange starts only once the model has been read and allowed. CPU is the proxy process's user+system "
                + "time per completed request.");
        report.table(new String[] {"rps", "round", "token", "achieved rps", "errors", "p50", "p99", "proxy CPU/request"}, rows);
    }
}
