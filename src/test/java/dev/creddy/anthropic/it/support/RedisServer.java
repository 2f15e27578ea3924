package dev.creddy.anthropic.it.support;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real {@code redis-server} from PATH, on a free loopback port, for one test class: no snapshots
 * of its own, no AOF, its files in a temporary directory. Tests can kill it (a crash), freeze it
 * (SIGSTOP: connections stay open and nothing answers), start it again on the same port, and talk
 * to it directly with {@link #call} to look at what the proxy stored. Every process is ended by its
 * PID in {@link #close()}, and by a shutdown hook should a test JVM end without it. As a JUnit
 * extension ({@code @RegisterExtension static final RedisServer REDIS = RedisServer.start();}) it
 * closes itself after the test class.
 *
 * <p>Not thread-safe: one test thread drives it.
 */
public final class RedisServer implements AutoCloseable, AfterAllCallback {

    private static final Duration READY_DEADLINE = Duration.ofSeconds(15);

    private final int port;
    private final Path dir;
    private final List<String> extraArgs;
    private final Thread shutdownHook = new Thread(this::stopQuietly, "redis-server-stop");
    private Process process;

    private RedisServer(int port, Path dir, List<String> extraArgs) {
        this.port = port;
        this.dir = dir;
        this.extraArgs = List.copyOf(extraArgs);
    }

    /** Starts a server and waits until it answers PING. */
    public static RedisServer start() {
        return start(List.of());
    }

    /**
     * Starts a server with more arguments ({@code --replicaof 127.0.0.1 6379}, {@code --maxmemory 2mb},
     * {@code --tls-port …}) and waits until it answers PING. A server with {@code --port 0} (TLS only)
     * is waited for through its TLS port by the caller instead.
     */
    public static RedisServer start(List<String> extraArgs) {
        try {
            RedisServer server = new RedisServer(freeLoopbackPort(), Files.createTempDirectory("creddy-redis-"), extraArgs);
            Runtime.getRuntime().addShutdownHook(server.shutdownHook);
            server.launch();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start redis-server", e);
        }
    }

    public int port() {
        return port;
    }

    /** The URL a proxy is configured with. */
    public String url() {
        return "redis://127.0.0.1:" + port + "/0";
    }

    public long pid() {
        return process.pid();
    }

    public boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** Ends the server with SIGKILL, as a crash would: no goodbye to its clients. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new AssertionError("redis-server " + process.pid() + " survived SIGKILL");
        }
    }

    /** Freezes the server (SIGSTOP): its sockets stay open, nothing answers, as in a network partition. */
    public void freeze() throws IOException, InterruptedException {
        signal("STOP");
    }

    /** Lets a frozen server go on (SIGCONT). */
    public void thaw() throws IOException, InterruptedException {
        signal("CONT");
    }

    /** Starts the server again on the same port and directory (so a {@code SAVE}d snapshot is loaded). */
    public void restart() throws IOException {
        if (isRunning()) {
            throw new IllegalStateException("redis-server is still running");
        }
        launch();
    }

    /**
     * Sends one command and reads its reply: a String for simple and bulk strings (null for nil),
     * a Long for integers, a List for arrays; an error reply throws.
     */
    public Object call(String... command) throws IOException {
        return call(port, command);
    }

    /** {@link #call(String...)} to any loopback port: a Sentinel, a Cluster node. */
    public static Object call(int port, String... command) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            StringBuilder request = new StringBuilder("*").append(command.length).append("\r\n");
            for (String part : command) {
                byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
                request.append('$').append(bytes.length).append("\r\n").append(part).append("\r\n");
            }
            out.write(request.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            return readReply(new BufferedInputStream(socket.getInputStream()));
        }
    }

    /** Every key, for tests that look at what was stored. Fine for a test server's handful of keys. */
    @SuppressWarnings("unchecked")
    public List<String> keys() throws IOException {
        return (List<String>) call("KEYS", "*");
    }

    /** What the server wrote to its log, for failure messages. */
    public String log() {
        try {
            return Files.readString(dir.resolve("redis.log"));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        close();
    }

    @Override
    public void close() throws InterruptedException {
        try {
            if (process != null && process.isAlive()) {
                thawQuietly();
                process.destroy();
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    kill();
                }
            }
        } finally {
            removeDir();
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                // the JVM is already shutting down, and the hook runs anyway
            }
        }
    }

    /** A free loopback port, for servers that need a second one (TLS, Sentinel, Cluster). */
    public static int freePort() {
        try {
            return freeLoopbackPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** This server's directory, for files a test puts beside it (certificates, ACL files). */
    public Path dir() {
        return dir;
    }

    private void launch() throws IOException {
        List<String> command = new ArrayList<>(List.of(redisServerBinary(), "--port", Integer.toString(port),
                "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.toString(),
                "--daemonize", "no", "--logfile", dir.resolve("redis.log").toString()));
        command.addAll(extraArgs);
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis.out").toFile());
        process = builder.start();
        long deadline = System.nanoTime() + READY_DEADLINE.toNanos();
        while (true) {
            try {
                if ("PONG".equals(call("PING"))) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            if (!process.isAlive() || System.nanoTime() - deadline > 0) {
                stopQuietly();
                throw new IllegalStateException("redis-server did not start on port " + port + ":\n" + log());
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stopQuietly();
                throw new IllegalStateException("interrupted while redis-server started", e);
            }
        }
    }

    private static String redisServerBinary() {
        return binary("redis-server");
    }

    /** A Redis binary from PATH: redis-server, redis-sentinel, redis-cli. */
    public static String binary(String name) {
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(java.io.File.pathSeparator)) {
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        throw new IllegalStateException(name + " is not on PATH: install it (apt-get install -y redis-server redis-sentinel "
                + "redis-tools); .ci/run does so on a fresh machine");
    }

    private static int freeLoopbackPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private void signal(String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IllegalStateException("kill -" + signal + " " + process.pid() + " failed");
        }
    }

    private void thawQuietly() {
        try {
            signal("CONT");
        } catch (IOException | RuntimeException e) {
            // it was not frozen, or is gone
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void stopQuietly() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
        }
    }

    private void removeDir() {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // a temporary directory left behind is no test failure
        }
    }

    private static Object readReply(InputStream in) throws IOException {
        int type = in.read();
        String line = readLine(in);
        switch (type) {
            case '+':
                return line;
            case '-':
                throw new IOException("redis error: " + line);
            case ':':
                return Long.parseLong(line);
            case '$': {
                int length = Integer.parseInt(line);
                if (length < 0) {
                    return null;
                }
                byte[] bytes = in.readNBytes(length + 2);
                return new String(bytes, 0, length, StandardCharsets.UTF_8);
            }
            case '*': {
                int count = Integer.parseInt(line);
                if (count < 0) {
                    return null;
                }
                List<Object> items = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    items.add(readReply(in));
                }
                return items;
            }
            default:
                throw new IOException("unexpected reply type " + type);
        }
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b; (b = in.read()) != '\r'; ) {
            if (b < 0) {
                throw new IOException("connection closed mid-reply");
            }
            line.write(b);
        }
        if (in.read() != '\n') {
            throw new IOException("malformed reply line");
        }
        return line.toString(StandardCharsets.UTF_8);
    }
}
