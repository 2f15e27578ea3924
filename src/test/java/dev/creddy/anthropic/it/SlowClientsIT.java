package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.it.support.ChildProcess;
import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.ProxyWar;
import dev.creddy.anthropic.it.support.RawHttp;
import dev.creddy.anthropic.it.support.RunningJar;
import dev.creddy.anthropic.it.support.SuiteRecorder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The standalone jar, as a process with its default connector, under the two unauthenticated attacks
 * the red team ran (issue 15): clients that declare a large body and drip it (S5: 220 of them pinned
 * every worker thread) and clients that open a request head and never finish it (S6: at about 9,000 a
 * 512 MB proxy ran out of memory). Sized for a 2-core CI machine, loopback only, the attackers spread
 * over a few 127.x source addresses (each under the per-address cap, which ConnectorHardeningIT tests);
 * every socket is closed and the jar is stopped by its PID after each test.
 */
@Timeout(240)
class SlowClientsIT {

    private static final FakeAnthropic UPSTREAM = FakeAnthropic.shared();
    private static final Duration HEALTH_DEADLINE = Duration.ofSeconds(1);

    private final List<Socket> sockets = new ArrayList<>();
    private RunningJar jar;

    @AfterEach
    void closeEverything() throws Exception {
        for (Socket socket : sockets) {
            socket.close();
        }
        if (jar != null) {
            jar.stop();
            SuiteRecorder.processLog(jar.output());
            assertFalse(jar.output().contains("OutOfMemoryError"), jar.output());
        }
    }

    private URI launch(List<String> jvmOptions, String... extraArgs) throws Exception {
        List<String> args = new ArrayList<>(List.of("--proxy", "--addr", "127.0.0.1:0", "--api-key", ProxyWar.REAL_KEY,
                "--upstream", UPSTREAM.baseUrl(), "--issuer-key", ProxyWar.ISSUER_KEY));
        args.addAll(List.of(extraArgs));
        jar = RunningJar.start(jvmOptions, args);
        return URI.create(jar.awaitListening());
    }

    private Socket open(URI base, String source) throws IOException {
        Socket socket = new Socket();
        sockets.add(socket);
        socket.bind(new InetSocketAddress(source, 0));
        socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), 10_000);
        return socket;
    }

    /** Timed {@code GET /health} on a fresh connection each time: its worst time over {@code probes} tries, one a second. */
    private static Duration worstHealth(URI base, int probes) throws Exception {
        Duration worst = Duration.ZERO;
        for (int i = 0; i < probes; i++) {
            long start = System.nanoTime();
            RawHttp.Answer answer = RawHttp.exchange(base.getHost(), base.getPort(),
                    "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
                    Duration.ofSeconds(10));
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertEquals(200, answer.status(), answer.text());
            worst = took.compareTo(worst) > 0 ? took : worst;
            Thread.sleep(1000);
        }
        return worst;
    }

    /**
     * The bound for a probe during an attack: {@code deadline} (issue 15's figure, for a quiet machine), or
     * twice the worst of the same probes just before the attack on a machine so loaded that even those
     * take longer. Before the fix the probes never answered during the attack, so either bound tells.
     */
    private static Duration allowedBeside(Duration worstBefore, Duration deadline) {
        Duration twice = worstBefore.multipliedBy(2);
        return twice.compareTo(deadline) > 0 ? twice : deadline;
    }

    @Test
    void slowBodiesWithoutATokenDoNotPinTheWorkerThreads() throws Exception {
        URI base = launch(List.of());
        // A first request warms the fresh JVM; then the same probes without an attack, the peer in this run.
        worstHealth(base, 1);
        Duration allowed = allowedBeside(worstHealth(base, 5), HEALTH_DEADLINE);
        int attackers = 250;
        String[] paths = {"/v1/messages", "/v1/tokens", "/v1/usage", "/v1/models"};
        for (int i = 0; i < attackers; i++) {
            Socket socket = open(base, "127.0.2." + (1 + i % 5));
            socket.getOutputStream().write(("POST " + paths[i % paths.length] + " HTTP/1.1\r\nHost: x\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
        }
        // The drip: a byte every two seconds on every connection, for as long as the health probes run.
        Thread drip = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                for (Socket socket : List.copyOf(sockets)) {
                    try {
                        socket.getOutputStream().write('x');
                    } catch (IOException e) {
                        // Closed by the proxy: what the fix does.
                    }
                }
                try {
                    Thread.sleep(2000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "slow-body-drip");
        drip.setDaemon(true);
        drip.start();
        try {
            Duration worst = worstHealth(base, 12);
            assertTrue(worst.compareTo(allowed) < 0, "/health took " + worst + " during the attack, allowed " + allowed);
        } finally {
            drip.interrupt();
            drip.join(5000);
        }
        int refusedAndClosed = 0;
        for (Socket socket : sockets) {
            RawHttp.Answer answer = RawHttp.readUntilClosed(socket, Duration.ofSeconds(2), System.nanoTime());
            SuiteRecorder.response(answer.text());
            if (answer.closed() && answer.status() >= 400 && answer.head().toLowerCase().contains("connection: close")) {
                refusedAndClosed++;
            }
        }
        assertEquals(attackers, refusedAndClosed, "every slow body was refused and its connection closed, none swallowed");
    }

    @Test
    void thousandsOfHalfOpenHeadsStayWithinTheHeapTheyWereSizedFor() throws Exception {
        // 512 MB: the connector allows 40% of it at 64 KB a connection, 3,276 connections.
        URI base = launch(List.of("-Xmx512m", "-XX:+ExitOnOutOfMemoryError"), "--connection-timeout", "30s");
        worstHealth(base, 1);
        Duration allowed = allowedBeside(worstHealth(base, 3), Duration.ofSeconds(2));
        long baseline = usedHeapAfterGc(jar.pid());
        int halfOpen = 3000;
        byte[] head = ("POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: half-open\r\nX-Pad: " + "a".repeat(200))
                .getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < halfOpen; i++) {
            open(base, "127.0.4." + (1 + i / 200)).getOutputStream().write(head);
        }
        long lastByte = System.nanoTime();
        Duration worst = worstHealth(base, 5);
        assertTrue(worst.compareTo(allowed) < 0, "/health took " + worst + " beside " + halfOpen + " half-open heads, allowed " + allowed);
        long held = usedHeapAfterGc(jar.pid());
        long perConnection = (held - baseline) / halfOpen;
        System.out.printf("half-open heads: %d, heap after GC %d KB -> %d KB, %d bytes each%n", halfOpen,
                baseline / 1024, held / 1024, perConnection);
        assertTrue(perConnection <= 64 * 1024, "a half-open connection costs " + perConnection
                + " bytes, more than the 64 KB the connector's size assumes");
        assertTrue(held < 512L * 1024 * 1024 * 6 / 10, "heap in use " + held / 1024 + " KB");
        int stillOpen = countOpen(sockets);
        assertEquals(halfOpen, stillOpen, "every head under the limits is held, none dropped early");

        // The head deadline: 30 s after their last byte the proxy drops them all, and their heap comes back.
        long deadline = lastByte + Duration.ofSeconds(60).toNanos();
        while (countOpen(sockets) > 0 && System.nanoTime() < deadline) {
            Thread.sleep(1000);
        }
        assertEquals(0, countOpen(sockets), "heads that never end are dropped after the connection timeout");
        assertTrue(jar.isAlive());
        long after = usedHeapAfterGc(jar.pid());
        assertTrue(after < baseline + (held - baseline) / 4, "the heap comes back: " + after / 1024 + " KB");
        worstHealth(base, 1);
    }

    /** Sockets the proxy has not closed: a read that waits counts as open, an end or a reset as closed. */
    private static int countOpen(List<Socket> sockets) throws IOException {
        int open = 0;
        byte[] one = new byte[1];
        for (Socket socket : sockets) {
            if (socket.isClosed()) {
                continue;
            }
            socket.setSoTimeout(1);
            try {
                InputStream in = socket.getInputStream();
                int read = in.read(one);
                if (read < 0) {
                    socket.close();
                } else {
                    // Something was sent (a 408, say): the proxy is ending it; read on until it closes.
                    ByteArrayOutputStream rest = new ByteArrayOutputStream();
                    rest.write(one, 0, read);
                    SuiteRecorder.response(rest.toString(StandardCharsets.ISO_8859_1));
                    open++;
                }
            } catch (SocketTimeoutException e) {
                open++;
            } catch (IOException e) {
                socket.close();
            }
        }
        return open;
    }

    private static final Pattern USED = Pattern.compile("used (\\d+)K");

    /** The heap in use after two full collections, read with the JDK's jcmd from the jar's JVM. */
    private static long usedHeapAfterGc(long pid) throws Exception {
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        for (int i = 0; i < 2; i++) {
            ChildProcess.Result gc = ChildProcess.run(List.of(jcmd, Long.toString(pid), "GC.run"), null, java.util.Map.of(), Duration.ofSeconds(60));
            assertEquals(0, gc.exitCode(), gc.stdout() + gc.stderr());
        }
        ChildProcess.Result info = ChildProcess.run(List.of(jcmd, Long.toString(pid), "GC.heap_info"), null, java.util.Map.of(), Duration.ofSeconds(60));
        Matcher used = USED.matcher(info.stdout());
        assertTrue(used.find(), info.stdout());
        return Long.parseLong(used.group(1)) * 1024;
    }
}
