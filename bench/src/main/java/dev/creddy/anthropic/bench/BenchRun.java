package dev.creddy.anthropic.bench;

import dev.creddy.anthropic.bench.OpenLoopLoad.Result;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;

/**
 * Runs the benchmarks of bench/README.md in one go: starts the fake upstream, nginx and the
 * standalone proxy on loopback, measures the same traffic direct, through nginx and through the
 * proxy, stops everything by PID and writes {@code results.md}.
 *
 * <p>Usage: {@code BenchRun --out DIR --jar JAR --conf DIR [--quick] [--jfr] [--parts a,b]
 * [--sut-cpus 1] [--load-cpus 0]}; {@code bench/run.sh} builds everything and passes these.
 */
public final class BenchRun {

    static final String REAL_KEY = "sk-ant-bench-real-key-0123456789";
    static final String ISSUER_KEY = "bench-issuer-key-0123456789abcdef";
    /** What nginx's clients send; nginx must replace it, or the upstream answers 401. */
    static final String NGINX_CLIENT_KEY = "client-key-that-nginx-replaces";
    /** The one static token Jetty's proxy accepts (it has no registry); shaped like ours. */
    static final String JETTY_CLIENT_TOKEN = "crd_jettyStaticTokenJettyStaticTokenJettyStat";
    static final String MESSAGE_BODY =
            "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":64,\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";
    static final String STREAM_BODY =
            "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":64,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";
    private static final Pattern LISTENING = Pattern.compile("listening on (?:http://)?127\\.0\\.0\\.1:(\\d+)");
    private static final Pattern WRK_LINE = Pattern.compile(
            "BENCH requests=(\\d+) duration_us=(\\d+) non2xx=(\\d+) socket_errors=(\\d+) p50_us=(\\d+) p99_us=(\\d+) p999_us=(\\d+) max_us=(\\d+)");

    /** One way to reach the upstream, and the process doing the work on that path. */
    record Target(String name, int port, String key, long pid) {
        InetSocketAddress address() {
            return new InetSocketAddress("127.0.0.1", port);
        }
    }

    /** A closed-loop run. Latencies in microseconds. */
    record WrkResult(long requests, double seconds, long non2xx, long socketErrors, long p50, long p99, long p999, long max) {
        double rps() {
            return requests / seconds;
        }
    }

    private final Path out;
    private final Path jar;
    private final Path conf;
    private final boolean quick;
    private final boolean jfr;
    private final Set<String> parts;
    private final String sutCpus;
    private final String loadCpus;
    private final Processes processes;
    private final Report report = new Report();
    private final List<String> notes = new ArrayList<>();

    private Processes.Started upstreamProcess;
    private Target direct;
    private Target nginx;
    private Target jetty;
    private Target proxy;
    /** nginx as an upstream that closes connections after 1,000 requests; started on first use. */
    private Target realUpstream;

    private BenchRun(Map<String, String> args) throws IOException {
        out = Path.of(args.getOrDefault("out", "bench/out"));
        jar = Path.of(args.getOrDefault("jar", "target/creddy-anthropic-standalone.jar"));
        conf = Path.of(args.getOrDefault("conf", "bench/conf"));
        quick = args.containsKey("quick");
        jfr = args.containsKey("jfr");
        parts = Set.of(args.getOrDefault("parts", "realistic,overhead,pool,streaming,concurrency,bodies,micro").split(","));
        sutCpus = blankToNull(args.getOrDefault("sut-cpus", "none"));
        loadCpus = blankToNull(args.getOrDefault("load-cpus", "none"));
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
        BenchRun run = new BenchRun(args);
        Thread stopper = new Thread(() -> {
            try {
                run.processes.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "bench-stop");
        Runtime.getRuntime().addShutdownHook(stopper);
        String startLoad = loadAverage();
        ZonedDateTime started = ZonedDateTime.now();
        try {
            run.execute();
        } finally {
            run.processes.close();
        }
        String preamble = run.preamble(started, startLoad);
        Path results = run.out.resolve("results.md");
        run.report.write(results, preamble);
        System.out.println();
        System.out.println(Files.readString(results));
        System.out.println("Results written to " + results);
        // The JMH runner and HttpClient leave non-daemon threads; the run is over.
        System.exit(0);
    }

    private void execute() throws Exception {
        startEverything();
        if (parts.contains("realistic")) {
            realistic();
        }
        if (parts.contains("overhead")) {
            overhead();
        }
        if (parts.contains("pool")) {
            pool();
        }
        if (parts.contains("streaming")) {
            streaming();
        }
        if (parts.contains("bodies")) {
            bodies();
        }
        if (parts.contains("concurrency")) {
            concurrency();
        }
        processes.close();
        if (parts.contains("micro")) {
            micro();
        }
    }

    // --- processes ---------------------------------------------------------------------------

    private void startEverything() throws Exception {
        log("starting the fake upstream");
        upstreamProcess = processes.start("upstream", loadCpus, List.of(javaBin(), "-cp",
                System.getProperty("java.class.path"), FakeUpstream.class.getName(), "--key", REAL_KEY));
        int upstreamPort = Integer.parseInt(upstreamProcess.await(LISTENING, 30));
        direct = new Target("direct", upstreamPort, REAL_KEY, upstreamProcess.pid());

        nginx = startNginx("nginx", upstreamPort);
        proxy = startProxyTarget("proxy", upstreamPort, List.of());
        jetty = startJetty("jetty", upstreamPort);
        log("upstream :" + upstreamPort + ", nginx :" + nginx.port() + ", proxy :" + proxy.port() + ", jetty :" + jetty.port());
    }

    /** nginx swapping the key in front of the upstream on {@code upstreamPort}. */
    private Target startNginx(String name, int upstreamPort) throws Exception {
        log("starting " + name);
        int nginxPort = freePort();
        Path nginxDir = Files.createDirectories(out.resolve(name));
        String config = Files.readString(conf.resolve("nginx.conf.template"))
                .replace("@DIR@", nginxDir.toAbsolutePath().toString())
                .replace("@UPSTREAM_PORT@", Integer.toString(upstreamPort))
                .replace("@PORT@", Integer.toString(nginxPort))
                .replace("@REAL_KEY@", REAL_KEY)
                // One worker per core nginx may use, as its documentation advises.
                .replace("@WORKERS@", sutCpus == null ? "auto" : Integer.toString(sutCpus.split(",").length));
        Path nginxConf = nginxDir.resolve("nginx.conf");
        Files.writeString(nginxConf, config);
        Processes.Started nginxProcess = processes.start(name, sutCpus, List.of("nginx", "-p",
                nginxDir.toAbsolutePath().toString(), "-c", nginxConf.toAbsolutePath().toString(), "-g", "daemon off;"));
        awaitPort(nginxPort, nginxProcess);
        return new Target(name, nginxPort, NGINX_CLIENT_KEY, nginxProcess.pid());
    }

    /**
     * The upstream that behaves like a real one: nginx answering the canned message and closing each
     * connection after its default of 1,000 requests (conf/nginx-upstream.conf.template).
     */
    private Target realUpstream() throws Exception {
        if (realUpstream != null) {
            return realUpstream;
        }
        log("starting nginx as an upstream (1,000 requests per connection)");
        int port = freePort();
        Path dir = Files.createDirectories(out.resolve("nginx-upstream"));
        String config = Files.readString(conf.resolve("nginx-upstream.conf.template"))
                .replace("@DIR@", dir.toAbsolutePath().toString())
                .replace("@PORT@", Integer.toString(port))
                .replace("@REAL_KEY@", REAL_KEY)
                .replace("@MESSAGE@", FakeUpstream.MESSAGE);
        Path file = dir.resolve("nginx.conf");
        Files.writeString(file, config);
        Processes.Started process = processes.start("nginx-upstream", loadCpus, List.of("nginx", "-p",
                dir.toAbsolutePath().toString(), "-c", file.toAbsolutePath().toString(), "-g", "daemon off;"));
        awaitPort(port, process);
        realUpstream = new Target("direct", port, REAL_KEY, process.pid());
        return realUpstream;
    }

    /** Jetty 12's AsyncProxyServlet ({@link JettyProxy}) in front of the upstream on {@code upstreamPort}, default JVM. */
    private Target startJetty(String name, int upstreamPort) throws Exception {
        log("starting " + name + " (Jetty AsyncProxyServlet)");
        Processes.Started process = processes.start(name, sutCpus, List.of(javaBin(), "-cp", System.getProperty("java.class.path"),
                JettyProxy.class.getName(), "--upstream", "http://127.0.0.1:" + upstreamPort, "--key", REAL_KEY,
                "--token", JETTY_CLIENT_TOKEN, "--max-connections", "1024"));
        int port = Integer.parseInt(process.await(LISTENING, 120));
        return new Target(name, port, JETTY_CLIENT_TOKEN, process.pid());
    }

    /** The standalone proxy in front of the upstream on {@code upstreamPort}, with a minted token. */
    private Target startProxyTarget(String name, int upstreamPort, List<String> extraFlags) throws Exception {
        Processes.Started process = startProxy(name, upstreamPort, extraFlags);
        int port = Integer.parseInt(process.await(LISTENING, 120));
        return new Target(name, port, mintToken(port), process.pid());
    }

    private Processes.Started startProxy(String name, int upstreamPort, List<String> extraFlags) throws IOException {
        log("starting the proxy (" + name + ") " + String.join(" ", extraFlags));
        List<String> command = new ArrayList<>(List.of(javaBin()));
        if (jfr) {
            command.add("-XX:StartFlightRecording=filename=" + out.resolve(name + ".jfr").toAbsolutePath()
                    + ",settings=profile,dumponexit=true");
        }
        String extraJvmArgs = System.getenv("BENCH_PROXY_JVM_ARGS");
        if (extraJvmArgs != null && !extraJvmArgs.isBlank()) {
            command.addAll(List.of(extraJvmArgs.trim().split("\\s+")));
            addNote("Proxy JVM arguments (BENCH_PROXY_JVM_ARGS): `" + extraJvmArgs.trim() + "`");
        }
        command.addAll(List.of("-jar", jar.toAbsolutePath().toString(), "--proxy", "--addr", "127.0.0.1:0",
                "--api-key", REAL_KEY, "--upstream", "http://127.0.0.1:" + upstreamPort, "--issuer-key", ISSUER_KEY));
        command.addAll(extraFlags);
        String extraProxyFlags = System.getenv("BENCH_PROXY_FLAGS");
        if (extraProxyFlags != null && !extraProxyFlags.isBlank()) {
            command.addAll(List.of(extraProxyFlags.trim().split("\\s+")));
            addNote("Proxy flags (BENCH_PROXY_FLAGS): `" + extraProxyFlags.trim() + "`");
        }
        return processes.start(name, sutCpus, command);
    }

    private void addNote(String note) {
        if (!notes.contains(note)) {
            notes.add(note);
        }
    }

    private static String mintToken(int proxyPort) throws IOException, InterruptedException {
        HttpClient client = HttpClient.newHttpClient();
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxyPort + "/v1/tokens"))
                .header("Authorization", "Bearer " + ISSUER_KEY).header("Content-Type", "application/json")
                // Every endpoint: the large-bodies part downloads a file's content, which tokens may not by default.
                .POST(HttpRequest.BodyPublishers.ofString("{\"ttl\":\"2h\",\"agent_name\":\"bench\",\"endpoints\":null}")).build(),
                HttpResponse.BodyHandlers.ofString());
        Matcher token = Pattern.compile("\"token\":\"(crd_[^\"]+)\"").matcher(response.body());
        if (response.statusCode() != 201 || !token.find()) {
            throw new IllegalStateException("could not mint a token: " + response.statusCode());
        }
        return token.group(1);
    }

    // --- 1. overhead -------------------------------------------------------------------------

    private void overhead() throws Exception {
        List<Target> all = List.of(direct, nginx, jetty, proxy);
        long seconds = quick ? 3 : 10;
        int[] rates = {500, 2000, 5000};
        for (Target target : all) {
            log("warming up " + target.name());
            wrk(target, 32, quick ? 2 : 8);
        }
        Map<String, Result> open = new LinkedHashMap<>();
        Map<String, Double> cpu = new HashMap<>();
        for (int rate : rates) {
            for (Target target : all) {
                log("open loop " + rate + " rps " + target.name());
                long before = JvmProbe.cpuMicros(target.pid());
                Result result = new OpenLoopLoad(target.address(), messageRequest(target), 64)
                        .run(rate, TimeUnit.SECONDS.toNanos(seconds));
                cpu.put(rate + target.name(), (JvmProbe.cpuMicros(target.pid()) - before) / (double) Math.max(1, result.completed()));
                open.put(rate + target.name(), result);
            }
        }
        Map<String, WrkResult> closed = new LinkedHashMap<>();
        for (Target target : all) {
            log("closed loop (wrk) " + target.name());
            long before = JvmProbe.cpuMicros(target.pid());
            WrkResult result = wrk(target, 32, seconds);
            cpu.put("max" + target.name(), (JvmProbe.cpuMicros(target.pid()) - before) / (double) Math.max(1, result.requests()));
            closed.put(target.name(), result);
        }

        report.heading("1. Overhead: small non-streaming POST /v1/messages");
        report.text("Against the never-closing fake upstream. Open loop (Java, HdrHistogram, wrk2-style: latency from each "
                + "request's intended start, 64 keep-alive connections, " + seconds + " s per cell). Added = the path's percentile "
                + "minus direct's at the same rate. CPU = user+system time of the process on the path (nginx master+worker, "
                + "Jetty's JVM, the proxy's JVM; for direct, the fake upstream) per request, from /proc/<pid>/stat.");
        List<String[]> rows = new ArrayList<>();
        for (int rate : rates) {
            Result base = open.get(rate + "direct");
            for (Target target : all) {
                Result r = open.get(rate + target.name());
                rows.add(new String[] {Integer.toString(rate), target.name(), Report.num(r.achievedRps(), 0),
                        Report.ms(r.latency().getValueAtPercentile(50)), Report.ms(r.latency().getValueAtPercentile(99)),
                        Report.ms(r.latency().getValueAtPercentile(99.9)), Report.ms(r.latency().getMaxValue()),
                        Long.toString(r.errors()),
                        target == direct ? "" : Report.us(added(r, base, 50)),
                        target == direct ? "" : Report.us(added(r, base, 99)),
                        target == direct ? "" : Report.us(added(r, base, 99.9)),
                        Report.num(cpu.get(rate + target.name()), 1)});
            }
            Result n = open.get(rate + "nginx");
            Result p = open.get(rate + "proxy");
            rows.add(new String[] {Integer.toString(rate), "*proxy ÷ nginx*", "", "", "", "", "", "",
                    Report.ratio(added(p, base, 50) / added(n, base, 50)), Report.ratio(added(p, base, 99) / added(n, base, 99)),
                    Report.ratio(added(p, base, 99.9) / added(n, base, 99.9)),
                    Report.ratio(cpu.get(rate + "proxy") / cpu.get(rate + "nginx"))});
        }
        report.table(new String[] {"rate (rps)", "path", "achieved rps", "p50", "p99", "p99.9", "max", "errors", "added p50",
                "added p99", "added p99.9", "CPU µs/req"}, rows);

        report.text("Closed loop (wrk 4.1, 1 thread, 32 connections, " + seconds + " s): the maximum throughput.");
        List<String[]> wrkRows = new ArrayList<>();
        for (Target target : all) {
            WrkResult r = closed.get(target.name());
            wrkRows.add(new String[] {target.name(), Report.num(r.rps(), 0), Report.ratio(r.rps() / closed.get("nginx").rps()),
                    Report.ms(r.p50() * 1e3), Report.ms(r.p99() * 1e3), Report.ms(r.p999() * 1e3), Report.ms(r.max() * 1e3),
                    Long.toString(r.non2xx() + r.socketErrors()), Report.num(cpu.get("max" + target.name()), 1)});
        }
        report.table(new String[] {"path", "requests/s", "÷ nginx", "p50", "p99", "p99.9", "max", "errors", "CPU µs/req"}, wrkRows);
        report.text("Proxy JVM after the overhead runs: " + JvmProbe.threads(proxy.pid()) + " threads, RSS "
                + Report.num(JvmProbe.rssKb(proxy.pid()) / 1024.0, 0) + " MB.");

        Result base = open.get("2000direct");
        Result p2000 = open.get("2000proxy");
        double addedP50 = added(p2000, base, 50);
        double addedP99 = added(p2000, base, 99);
        report.target("Added latency p50 at 2000 rps", "≤ 0.2 ms", Report.ms(addedP50) + " (nginx " + Report.ms(added(open.get("2000nginx"), base, 50)) + ")",
                addedP50 <= 200_000 && p2000.errors() == 0);
        report.target("Added latency p99 at 2000 rps", "≤ 1 ms", Report.ms(addedP99) + " (nginx " + Report.ms(added(open.get("2000nginx"), base, 99)) + ")",
                addedP99 <= 1_000_000 && p2000.errors() == 0);
    }

    private static double added(Result result, Result base, double percentile) {
        return result.latency().getValueAtPercentile(percentile) - base.latency().getValueAtPercentile(percentile);
    }

    private static byte[] messageRequest(Target target) {
        return request(target, "/v1/messages", MESSAGE_BODY);
    }

    private static byte[] request(Target target, String path, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return ("POST " + path + " HTTP/1.1\r\nhost: 127.0.0.1:" + target.port() + "\r\ncontent-type: application/json\r\n"
                + "anthropic-version: 2023-06-01\r\nx-api-key: " + target.key() + "\r\ncontent-length: " + bytes.length
                + "\r\n\r\n" + body).getBytes(StandardCharsets.ISO_8859_1);
    }

    private WrkResult wrk(Target target, int connections, long seconds) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        if (loadCpus != null) {
            command.addAll(List.of("taskset", "-c", loadCpus));
        }
        command.addAll(List.of("env", "BENCH_KEY=" + target.key(), "wrk", "-t1", "-c" + connections, "-d" + seconds + "s",
                "--timeout", "10s", "-s", conf.resolve("wrk-messages.lua").toString(),
                "http://127.0.0.1:" + target.port() + "/v1/messages"));
        String output = Processes.run(command, seconds + 60);
        Matcher m = WRK_LINE.matcher(output);
        if (!m.find()) {
            throw new IOException("unexpected wrk output: " + output);
        }
        return new WrkResult(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)) / 1e6, Long.parseLong(m.group(3)),
                Long.parseLong(m.group(4)), Long.parseLong(m.group(5)), Long.parseLong(m.group(6)), Long.parseLong(m.group(7)),
                Long.parseLong(m.group(8)));
    }

    // --- 0. realistic: the issue's setup --------------------------------------------------------

    /** Closed-loop rounds of one path after its warm-up: requests/s and CPU µs per request of each. */
    private record Rounds(double[] rps, double[] cpuPerRequest, long errors) {
        double medianRps() {
            return median(rps);
        }

        double medianCpu() {
            return median(cpuPerRequest);
        }

        private static double median(double[] values) {
            double[] sorted = values.clone();
            Arrays.sort(sorted);
            return sorted[sorted.length / 2];
        }

        String rpsCell() {
            return Report.num(medianRps(), 0) + " (" + join(rps, 0) + ")";
        }

        String cpuCell() {
            return Report.num(medianCpu(), 1) + " (" + join(cpuPerRequest, 0) + ")";
        }

        private static String join(double[] values, int decimals) {
            List<String> cells = new ArrayList<>();
            for (double value : values) {
                cells.add(Report.num(value, decimals));
            }
            return String.join(" / ", cells);
        }
    }

    private Rounds rounds(Target target, long warmupSeconds, int count, long seconds) throws Exception {
        log("warming up " + target.name() + " for " + warmupSeconds + " s");
        WrkResult warm = wrk(target, 32, warmupSeconds);
        long errors = warm.non2xx() + warm.socketErrors();
        double[] rps = new double[count];
        double[] cpu = new double[count];
        for (int i = 0; i < count; i++) {
            log("round " + (i + 1) + " " + target.name());
            long before = JvmProbe.cpuMicros(target.pid());
            WrkResult result = wrk(target, 32, seconds);
            cpu[i] = (JvmProbe.cpuMicros(target.pid()) - before) / (double) Math.max(1, result.requests());
            rps[i] = result.rps();
            errors += result.non2xx() + result.socketErrors();
        }
        return new Rounds(rps, cpu, errors);
    }

    /**
     * One more round of the proxy with a JFR recording (profile settings), not counted in the table: where
     * its time goes under this load.
     */
    private String profile(Target target, long seconds) throws Exception {
        Path file = out.resolve(target.name() + "-round.jfr").toAbsolutePath();
        String pid = Long.toString(target.pid());
        Processes.run(List.of("jcmd", pid, "JFR.start", "name=bench-round", "settings=profile"), 60);
        wrk(target, 32, seconds);
        Processes.run(List.of("jcmd", pid, "JFR.dump", "name=bench-round", "filename=" + file), 60);
        Processes.run(List.of("jcmd", pid, "JFR.stop", "name=bench-round"), 60);
        return JfrTop.summarize(file, 12);
    }

    private void realistic() throws Exception {
        long warmup = quick ? 5 : 20;
        long seconds = quick ? 3 : 8;
        int count = 3;
        Target upstream = realUpstream();
        Map<String, List<Target>> groups = new LinkedHashMap<>();
        // Fresh JVMs for the real upstream; the long-lived ones serve the fake (this part runs first, so they are fresh too).
        groups.put("nginx, 1,000 requests per connection", List.of(upstream, startNginx("nginx-real", upstream.port()),
                startJetty("jetty-real", upstream.port()), startProxyTarget("proxy-real", upstream.port(), List.of())));
        groups.put("fake, never closes", List.of(direct, nginx, jetty, proxy));
        List<String[]> rows = new ArrayList<>();
        Map<String, Rounds> measured = new LinkedHashMap<>();
        Map<String, String> profiles = new LinkedHashMap<>();
        for (Map.Entry<String, List<Target>> group : groups.entrySet()) {
            for (Target target : group.getValue()) {
                Rounds r = rounds(target, warmup, count, seconds);
                measured.put(group.getKey() + "/" + kind(target), r);
                if (kind(target).equals("proxy")) {
                    profiles.put(group.getKey(), profile(target, seconds));
                }
            }
            Rounds nginxRounds = measured.get(group.getKey() + "/nginx");
            for (Target target : group.getValue()) {
                Rounds r = measured.get(group.getKey() + "/" + kind(target));
                rows.add(new String[] {group.getKey(), label(kind(target)), r.rpsCell(),
                        kind(target).equals("direct") ? "" : Report.ratio(r.medianRps() / nginxRounds.medianRps()),
                        r.cpuCell(), Long.toString(r.errors())});
            }
        }
        for (String name : List.of("nginx-real", "jetty-real", "proxy-real")) {
            stopNamed(name);
        }
        report.heading("0. The realistic setup: small non-streaming calls, closed loop");
        report.text("The issue's setup: wrk (1 thread, 32 connections, keep-alive) sending the small non-streaming `POST "
                + "/v1/messages`, " + count + " rounds of " + seconds + " s after a " + warmup + " s warm-up of each JVM, per "
                + "path; first through an upstream that behaves like a real one (nginx answering a canned message and "
                + "closing each connection after its default 1,000 requests), then through the never-closing fake. Each "
                + "path's processes serve only that upstream. CPU = user+system time of the process on the path (for "
                + "direct: the upstream) per request, from /proc/<pid>/stat, per round. Medians first, rounds in brackets.");
        report.table(new String[] {"upstream", "path", "req/s, median (rounds)", "× nginx", "CPU µs per request, median (rounds)",
                "errors"}, rows);
        for (Map.Entry<String, String> profile : profiles.entrySet()) {
            report.text("Profile of the proxy (upstream: " + profile.getKey() + "), one more round with JFR on, not counted above:\n\n"
                    + profile.getValue());
        }
        String real = "nginx, 1,000 requests per connection/";
        Rounds p = measured.get(real + "proxy");
        Rounds j = measured.get(real + "jetty");
        Rounds n = measured.get(real + "nginx");
        report.target("Throughput, small calls (realistic upstream): × Jetty AsyncProxyServlet", "≥ 1.5×",
                Report.ratio(p.medianRps() / j.medianRps()) + " (" + Report.num(p.medianRps(), 0) + " vs "
                        + Report.num(j.medianRps(), 0) + " req/s)", p.medianRps() >= 1.5 * j.medianRps() && p.errors() == 0);
        report.target("Throughput, small calls (realistic upstream): × nginx", "≥ 0.5× (then 0.7×)",
                Report.ratio(p.medianRps() / n.medianRps()) + " (" + Report.num(p.medianRps(), 0) + " vs "
                        + Report.num(n.medianRps(), 0) + " req/s)", p.medianRps() >= 0.5 * n.medianRps() && p.errors() == 0);
        report.target("CPU per small forwarded request (realistic upstream)", "≤ 40 µs",
                Report.num(p.medianCpu(), 1) + " µs (Jetty " + Report.num(j.medianCpu(), 1) + ", nginx "
                        + Report.num(n.medianCpu(), 1) + ")", p.medianCpu() <= 40);
    }

    private static String kind(Target target) {
        return target.name().replace("-real", "");
    }

    private static String label(String kind) {
        return switch (kind) {
            case "direct" -> "direct to the upstream";
            case "nginx" -> "nginx swapping the key";
            case "jetty" -> "Jetty 12 AsyncProxyServlet, static token";
            case "proxy" -> "**this proxy** (standalone jar, defaults)";
            default -> kind;
        };
    }

    private void stopNamed(String name) throws InterruptedException {
        processes.stop(name);
    }

    // --- pool policy ---------------------------------------------------------------------------

    private void pool() throws Exception {
        long warmup = quick ? 2 : 5;
        long seconds = quick ? 2 : 5;
        Map<String, Target> upstreams = new LinkedHashMap<>();
        upstreams.put("nginx, 1,000 requests per connection", realUpstream());
        upstreams.put("fake, never closes", direct);
        List<String[]> rows = new ArrayList<>();
        Pattern round = Pattern.compile(
                "ROUND (\\d+) variant=(\\S+) requests=(\\d+) failed=(\\d+) seconds=([\\d.]+) cpu_us=(\\d+) connections=(\\d+)");
        int rounds = 3;
        for (Map.Entry<String, Target> upstream : upstreams.entrySet()) {
            log("pool policies against " + upstream.getKey());
            Processes.Started load = processes.start("pool-load", sutCpus, List.of(javaBin(), "-cp", System.getProperty("java.class.path"),
                    PoolPolicyLoad.class.getName(), "--upstream", "http://127.0.0.1:" + upstream.getValue().port(),
                    "--key", REAL_KEY, "--variants", String.join(",", PoolPolicyLoad.VARIANTS), "--in-flight", "32",
                    "--warmup", Long.toString(warmup), "--rounds", Integer.toString(rounds), "--seconds", Long.toString(seconds)));
            Map<String, double[]> rps = new LinkedHashMap<>();
            Map<String, double[]> cpu = new LinkedHashMap<>();
            Map<String, Long> failed = new HashMap<>();
            Map<String, String> connections = new HashMap<>();
            long budget = (warmup + rounds * seconds) * PoolPolicyLoad.VARIANTS.size() + 120;
            for (int i = 0; i < rounds * PoolPolicyLoad.VARIANTS.size(); i++) {
                Matcher m = round.matcher(load.await(Pattern.compile("(ROUND .*)"), budget));
                if (!m.find()) {
                    throw new IllegalStateException("unexpected output of the pool load");
                }
                int r = Integer.parseInt(m.group(1)) - 1;
                String variant = m.group(2);
                long requests = Long.parseLong(m.group(3));
                rps.computeIfAbsent(variant, v -> new double[rounds])[r] = requests / Double.parseDouble(m.group(5));
                cpu.computeIfAbsent(variant, v -> new double[rounds])[r] = Long.parseLong(m.group(6)) / (double) Math.max(1, requests);
                failed.merge(variant, Long.parseLong(m.group(4)), Long::sum);
                connections.put(variant, m.group(7));
            }
            load.process.waitFor(30, TimeUnit.SECONDS);
            processes.stop("pool-load");
            for (String variant : PoolPolicyLoad.VARIANTS) {
                Rounds r = new Rounds(rps.get(variant), cpu.get(variant), failed.get(variant));
                String[] v = variant.split("/");
                rows.add(new String[] {upstream.getKey(), v[0], v[1], v[2], r.rpsCell(), r.cpuCell(), connections.get(variant),
                        Long.toString(r.errors())});
            }
        }
        report.heading("Upstream pool policy");
        report.text("HttpClient 5's async client built as `forward/UpstreamClient` builds it (pool of 1,024, HTTP/1.1, one I/O "
                + "thread per core), one client per pool concurrency policy, reuse policy and maximum per route, all in one JVM "
                + "(its JIT shared), taking turns: each keeps 32 requests in flight (the load's 32 connections) to the "
                + "upstream for its turn, " + warmup + " s each to warm up, then 3 rounds of " + seconds + " s each, "
                + "interleaved so that a change in the machine's load falls on every variant alike. CPU = the JVM's "
                + "user+system time per request during the variant's turn (the others are idle). Connections = what its "
                + "pool holds at the end. The first row is today's `UpstreamClient`.");
        report.table(new String[] {"upstream", "concurrency", "reuse", "max per route", "req/s, median (rounds)",
                "CPU µs per request, median (rounds)", "connections", "errors"}, rows);
    }

    // --- 2. streaming fidelity ---------------------------------------------------------------

    private void streaming() throws Exception {
        int streams = 50;
        int events = 100;
        int rounds = quick ? 1 : 3;
        List<Target> all = List.of(direct, nginx, proxy);
        Map<String, Histogram> delays = new HashMap<>();
        Map<String, Integer> incomplete = new HashMap<>();
        for (int round = 0; round < rounds; round++) {
            for (Target target : all) {
                log("streaming fidelity round " + (round + 1) + " " + target.name());
                try (SseStreams sse = new SseStreams(target.address(),
                        request(target, "/v1/messages?events=" + events + "&gap_ms=20", STREAM_BODY), streams, streams).start()) {
                    sse.awaitDone(TimeUnit.SECONDS.toNanos(30));
                    delays.computeIfAbsent(target.name(), k -> new Histogram(TimeUnit.SECONDS.toNanos(60), 3)).add(sse.delays());
                    incomplete.merge(target.name(), sse.failed(), Integer::sum);
                }
            }
        }
        report.heading("2. Streaming fidelity: paced SSE");
        report.text(rounds + " round(s) × " + streams + " concurrent streams × " + events + " text deltas 20 ms apart, per path "
                + "(paths interleaved). Delay = arrival at the client minus the upstream's timestamp in the event, on the shared "
                + "monotonic clock. Added = the path's percentile minus direct's.");
        Histogram base = delays.get("direct");
        List<String[]> rows = new ArrayList<>();
        for (Target target : all) {
            Histogram h = delays.get(target.name());
            rows.add(new String[] {target.name(), Long.toString(h.getTotalCount()), Integer.toString(incomplete.get(target.name())),
                    Report.ms(h.getValueAtPercentile(50)), Report.ms(h.getValueAtPercentile(99)),
                    Report.ms(h.getValueAtPercentile(99.9)), Report.ms(h.getMaxValue()),
                    target == direct ? "" : Report.us(h.getValueAtPercentile(50) - base.getValueAtPercentile(50)),
                    target == direct ? "" : Report.us(h.getValueAtPercentile(99) - base.getValueAtPercentile(99))});
        }
        report.table(new String[] {"path", "events", "incomplete streams", "delay p50", "p99", "p99.9", "max", "added p50",
                "added p99"}, rows);
        Histogram p = delays.get("proxy");
        double addedP99 = p.getValueAtPercentile(99) - base.getValueAtPercentile(99);
        report.target("Streaming: added delay per SSE event p99", "≤ 0.5 ms", Report.ms(addedP99) + " (nginx "
                + Report.ms(delays.get("nginx").getValueAtPercentile(99) - base.getValueAtPercentile(99)) + ")",
                addedP99 <= 500_000 && incomplete.get("proxy") == 0);
    }

    // --- 3. concurrency ----------------------------------------------------------------------

    private void concurrency() throws Exception {
        report.heading("3. Concurrency: long SSE streams held open");
        List<String[]> rows = new ArrayList<>();
        // One token from one address holds every stream here: the per-address and per-token caps that guard
        // a shared proxy against one client are lifted, or they (not the proxy's cost) would be measured.
        Processes.Started wide = startProxy("proxy-wide", direct.port(), List.of("--max-connections", "20000",
                "--connections-per-token", "20000", "--max-connections-per-address", "0"));
        int port = Integer.parseInt(wide.await(LISTENING, 120));
        Target wideProxy = new Target("proxy-wide", port, mintToken(port), wide.pid());
        try (SseStreams warm = new SseStreams(wideProxy.address(),
                request(wideProxy, "/v1/messages?events=5&gap_ms=10", STREAM_BODY), 200, 50).start()) {
            warm.awaitDone(TimeUnit.SECONDS.toNanos(30));
        }
        int[] counts = quick ? new int[] {500, 2000} : new int[] {1000, 5000, 9900};
        Held largest = null;
        for (int count : counts) {
            largest = holdStreams(wideProxy, count, "pool 20,000, no per-token or per-address cap", 90);
            rows.add(largest.row());
        }
        wide.stop();
        // Last, because it can leave the proxy unable to forward (see the I/O threads column).
        rows.add(holdStreams(proxy, quick ? 300 : 1000, "defaults (256 per address and per token)", 20).row());
        report.text("Each stream: POST /v1/messages?hold=1, a text delta every second until the upstream is told to end them "
                + "all. The client opens streams with at most 64 waiting for their response head. With every stream open "
                + "and 2.5 s of events flowing, the proxy JVM is probed: threads from /proc (all native threads), heap "
                + "live set after a full GC (jcmd GC.run + GC.heap_info), RSS. Per stream = (during − before) ÷ open streams. "
                + "\"I/O threads after\" counts HttpClient's reactor threads (httpclient-dispatch-N) once the streams ended: "
                + "fewer than the JVM started with means a reactor thread died and the proxy no longer forwards anything. "
                + "A second proxy process with a wider upstream pool and no per-token or per-address cap (`--max-connections 20000 "
                + "--connections-per-token 20000 --max-connections-per-address 0`) serves the counts up to 9,900; the "
                + "defaults are tried last, with more streams than one address and one token may hold (256 each): the "
                + "streams over that are refused, and the proxy must go on serving the rest. The top count "
                + "is 9,900, not 10,000: this machine's hard limit on open files is 20,000 per process (`ulimit -Hn`, not "
                + "raisable here) and each stream costs the proxy two sockets (client and upstream).");
        report.table(new String[] {"streams", "proxy", "completed", "failed (why)", "all open after", "JVM threads",
                "live heap before → during", "heap / stream", "RSS / stream", "event delay p50 / p99", "I/O threads after"}, rows);
        if (largest != null) {
            report.target(Report.num(largest.count(), 0) + " held streams, every one completed", "all",
                    largest.completed() + " of " + largest.count(), largest.completed() == largest.count());
            report.target("JVM threads with " + Report.num(largest.count(), 0) + " streams", "≤ 100",
                    Integer.toString(largest.threads()), largest.threads() <= 100);
            report.target("Heap per open idle SSE stream", "≤ 40 KB", Report.num(largest.heapPerStreamKb(), 1) + " KB",
                    largest.heapPerStreamKb() <= 40);
            report.target("RSS per open idle SSE stream", "≤ 40 KB", Report.num(largest.rssPerStreamKb(), 1) + " KB",
                    largest.rssPerStreamKb() <= 40);
        }
    }

    /** One held-streams run. Memory in KB, delays in nanoseconds. */
    private record Held(int count, String label, int completed, int failed, Map<String, Integer> failures, double openSeconds,
            int threads, long heapBefore, long heapDuring, int openDuring, long rssBefore, long rssDuring, Histogram delays,
            int ioThreadsAfter) {

        double heapPerStreamKb() {
            return (heapDuring - heapBefore) / (double) Math.max(1, openDuring);
        }

        double rssPerStreamKb() {
            return (rssDuring - rssBefore) / (double) Math.max(1, openDuring);
        }

        String[] row() {
            return new String[] {Report.num(count, 0), label, Integer.toString(completed),
                    failed == 0 ? "0" : failed + " " + failures, Report.num(openSeconds, 1) + " s", Integer.toString(threads),
                    Report.num(heapBefore / 1024.0, 1) + " → " + Report.num(heapDuring / 1024.0, 1) + " MB",
                    Report.num(heapPerStreamKb(), 1) + " KB",
                    Report.num(rssPerStreamKb(), 1) + " KB",
                    Report.ms(delays.getValueAtPercentile(50)) + " / " + Report.ms(delays.getValueAtPercentile(99)),
                    Integer.toString(ioThreadsAfter)};
        }
    }

    private Held holdStreams(Target target, int count, String label, long openTimeoutSeconds) throws Exception {
        log(count + " held streams through " + target.name() + " (" + label + ")");
        long heapBefore = JvmProbe.liveHeapKb(target.pid());
        long rssBefore = JvmProbe.rssKb(target.pid());
        long start = System.nanoTime();
        try (SseStreams sse = new SseStreams(target.address(), request(target, "/v1/messages?hold=1&gap_ms=1000", STREAM_BODY),
                count, 64).start()) {
            sse.awaitOpen(TimeUnit.SECONDS.toNanos(openTimeoutSeconds));
            double openSeconds = (System.nanoTime() - start) / 1e9;
            Thread.sleep(2500);
            int threads = JvmProbe.threads(target.pid());
            long rssDuring = JvmProbe.rssKb(target.pid());
            int openDuring = sse.open() - sse.completed();
            long heapDuring = JvmProbe.liveHeapKb(target.pid());
            // What holds the memory and which threads exist, for the profile that says what bounds the figures.
            Files.writeString(out.resolve("held-" + target.name() + "-" + count + "-histogram.txt"),
                    JvmProbe.classHistogram(target.pid()));
            Files.writeString(out.resolve("held-" + target.name() + "-" + count + "-threads.txt"),
                    JvmProbe.threadDump(target.pid()));
            if (System.getenv("BENCH_HEAP_DUMP") != null) {
                // The whole heap, for a tool that sizes what the histogram only counts (hundreds of MB).
                Processes.run(List.of("jcmd", Long.toString(target.pid()), "GC.heap_dump",
                        out.resolve("held-" + target.name() + "-" + count + ".hprof").toAbsolutePath().toString()), 300);
            }
            release();
            sse.awaitDone(TimeUnit.SECONDS.toNanos(60));
            return new Held(count, label, sse.completed(), sse.failed(), sse.failures(), openSeconds, threads, heapBefore,
                    heapDuring, openDuring, rssBefore, rssDuring, sse.delays(), JvmProbe.ioReactorThreads(target.pid()));
        }
    }

    private void release() throws IOException, InterruptedException {
        HttpClient client = HttpClient.newHttpClient();
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + direct.port()
                + "/bench/release")).header("x-api-key", REAL_KEY).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("the upstream refused to release the streams: " + response.statusCode());
        }
    }

    // --- 4. large bodies ---------------------------------------------------------------------

    private void bodies() throws Exception {
        long size = 32L * 1024 * 1024;
        int repeats = quick ? 1 : 3;
        List<String[]> rows = new ArrayList<>();
        // The proxy serves a file's content only to the agent that created it through the proxy.
        createFile(proxy);
        for (Target target : List.of(direct, nginx, proxy)) {
            long[] up = new long[repeats];
            long[] down = new long[repeats];
            for (int i = 0; i < repeats; i++) {
                log("32 MB upload and download " + target.name());
                up[i] = new BigBody(target.address(), target.key()).upload(size, "");
                down[i] = new BigBody(target.address(), target.key()).download(size, -1, 0);
            }
            Arrays.sort(up);
            Arrays.sort(down);
            long upMedian = up[repeats / 2];
            long downMedian = down[repeats / 2];
            rows.add(new String[] {target.name(), Report.ms(upMedian), Report.num(size / 1048576.0 / (upMedian / 1e9), 0),
                    Report.ms(downMedian), Report.num(size / 1048576.0 / (downMedian / 1e9), 0)});
        }
        log("32 MB bodies against a stalled reader, proxy heap probed mid-transfer");
        long before = JvmProbe.liveHeapKb(proxy.pid());
        long duringUpload = stalledTransfer(true, size);
        long duringDownload = stalledTransfer(false, size);
        long after = JvmProbe.liveHeapKb(proxy.pid());

        report.heading("4. Large bodies: 32 MB each way");
        report.text("Median of " + repeats + " transfers, one connection, time from the first byte sent to the last byte received.");
        report.table(new String[] {"path", "upload 32 MB", "MB/s", "download 32 MB", "MB/s"}, rows);
        report.text("Buffering check: an upload whose upstream stops reading after 4 MB for 4 s, and a download whose client "
                + "stops reading after 4 MB for 4 s; 1 s into the stall the proxy's live heap is taken after a full GC. A proxy "
                + "that buffered the body would hold up to 28 MB there.");
        report.table(new String[] {"proxy live heap", "before", "mid-upload (stalled)", "mid-download (stalled)", "after"},
                List.<String[]>of(new String[] {"KB", Report.num(before, 0), Report.num(duringUpload, 0) + " (" + signed(duringUpload - before) + ")",
                        Report.num(duringDownload, 0) + " (" + signed(duringDownload - before) + ")", Report.num(after, 0)}));
    }

    /** Creates the fake's one file through {@code target}, as an agent would before downloading it. */
    private static void createFile(Target target) throws IOException, InterruptedException {
        String boundary = "bench-boundary";
        String multipart = "--" + boundary + "\r\ncontent-disposition: form-data; name=\"file\"; filename=\"bench.bin\"\r\n"
                + "content-type: application/octet-stream\r\n\r\nbench\r\n--" + boundary + "--\r\n";
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://" + target.address().getHostString() + ":" + target.address().getPort() + "/v1/files"))
                .header("x-api-key", target.key()).header("anthropic-beta", "files-api-2025-04-14")
                .header("content-type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofString(multipart)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200 || !response.body().contains("\"file_bench\"")) {
            throw new IOException("creating the file through " + target.name() + " answered " + response.statusCode());
        }
    }

    private long stalledTransfer(boolean upload, long size) throws Exception {
        BigBody body = new BigBody(proxy.address(), proxy.key());
        AtomicReference<Exception> failure = new AtomicReference<>();
        long stallAt = 4L * 1024 * 1024;
        Thread transfer = new Thread(() -> {
            try {
                if (upload) {
                    body.upload(size, "&stall_after=" + stallAt + "&stall_ms=4000");
                } else {
                    body.download(size, stallAt, 4000);
                }
            } catch (Exception e) {
                failure.set(e);
            }
        }, "big-body");
        transfer.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (body.progress() < stallAt && System.nanoTime() < deadline && failure.get() == null) {
            Thread.sleep(5);
        }
        Thread.sleep(1000);
        long live = JvmProbe.liveHeapKb(proxy.pid());
        transfer.join(60_000);
        if (failure.get() != null) {
            throw failure.get();
        }
        return live;
    }

    private static String signed(long kb) {
        return String.format(Locale.ROOT, "%+,d KB", kb);
    }

    // --- 5. micro ----------------------------------------------------------------------------

    private void micro() throws Exception {
        log("JMH: token registry and the request hot path");
        report.heading("5. Micro: JMH");
        report.text("JMH 1.37, 1 fork, " + (quick ? "1×1 s warm-up, 2×1 s" : "3×1 s warm-up, 5×1 s") + " measurement, "
                + "average time per operation and allocation per operation (-prof gc). Nothing else runs meanwhile.");
        report.table(new String[] {"benchmark", "time/op", "± (99.9%)", "allocated/op"}, MicroBenchmarks.run(quick));
    }

    // --- helpers -----------------------------------------------------------------------------

    private String preamble(ZonedDateTime started, String startLoad) throws IOException, InterruptedException {
        StringBuilder text = new StringBuilder();
        text.append("## Results of ").append(started.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)).append("\n\n");
        text.append("- Machine: ").append(cpuModel()).append(", ").append(Runtime.getRuntime().availableProcessors())
                .append(" cores visible to the load side, ").append(memory()).append(", ").append(firstLine(List.of("uname", "-sr")))
                .append("\n");
        text.append("- Java: ").append(System.getProperty("java.vm.name")).append(' ').append(System.getProperty("java.version"))
                .append("; ").append(firstLine(List.of("nginx", "-v"))).append("; ").append(firstLine(List.of("wrk", "-v")))
                .append("\n");
        text.append("- **All parts share 2 cores**: the proxy or nginx (the path under test) ")
                .append(sutCpus == null ? "unpinned" : "pinned to CPU " + sutCpus)
                .append("; the load generators, clients and fake upstream ")
                .append(loadCpus == null ? "unpinned" : "pinned to CPU " + loadCpus)
                .append(". Other work on the machine (load average at start: ").append(startLoad).append(", at end: ")
                .append(loadAverage()).append(") competes for the same cores, so compare ratios measured in the same run.\n");
        text.append("- Proxy: `java -jar " + jar + " --proxy --addr 127.0.0.1:0 --api-key … "
                + "--upstream http://127.0.0.1:PORT --issuer-key …` (default JVM and proxy settings unless a row says "
                + "otherwise), one `crd_` token minted with the issuer key; the audit log goes to the console as by default.\n");
        text.append("- Command: `bench/run.sh").append(quick ? " --quick" : "").append("`").append(jfr ? " with JFR" : "").append("\n");
        for (String note : notes) {
            text.append("- ").append(note).append('\n');
        }
        return text.toString();
    }

    private static String cpuModel() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
            if (line.startsWith("model name")) {
                return line.substring(line.indexOf(':') + 1).trim();
            }
        }
        return "unknown CPU";
    }

    private static String memory() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
            if (line.startsWith("MemTotal:")) {
                long kb = Long.parseLong(line.replaceAll("\\D", ""));
                return Math.round(kb / 1048576.0) + " GB RAM";
            }
        }
        return "unknown RAM";
    }

    private static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String firstLine(List<String> command) {
        try {
            return Processes.run(command, 10).lines().findFirst().orElse("").trim();
        } catch (IOException | InterruptedException e) {
            return String.join(" ", command) + ": unavailable";
        }
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static int freePort() throws IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static void awaitPort(int port, Processes.Started process) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                if (!process.process.isAlive()) {
                    throw new IllegalStateException(process.name + " exited; see its log");
                }
                Thread.sleep(50);
            }
        }
        throw new IllegalStateException(process.name + " did not listen on " + port);
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() || value.equals("none") ? null : value;
    }

    private static void log(String message) {
        System.out.println("[bench] " + message);
        System.out.flush();
    }
}
