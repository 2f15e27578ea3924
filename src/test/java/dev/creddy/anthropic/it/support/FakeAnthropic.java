package dev.creddy.anthropic.it.support;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fake Anthropic API on a loopback port that speaks the real wire format: JSON messages,
 * the full SSE event sequence, {@code request-id} headers and Anthropic's error shape. Tests script
 * its answers with {@link #respondWith} and read what it received with {@link #takeRequest}.
 *
 * <p>One instance serves a whole test JVM ({@link #shared()}): deployments need its URL before any
 * test runs. It is stopped when the JVM exits.
 */
public final class FakeAnthropic {

    /** A request as the upstream saw it. Header names are lowercase. */
    public record Received(String method, String path, String query, Map<String, List<String>> headers, byte[] body) {
        public String header(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null || values.isEmpty() ? null : values.get(0);
        }

        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** Answers one request. */
    @FunctionalInterface
    public interface Responder {
        void respond(Received request, HttpExchange exchange) throws IOException;
    }

    /** Answers one request whose body it reads itself (a large upload), so the fake never holds it whole. */
    @FunctionalInterface
    public interface StreamingResponder {
        void respond(Received head, InputStream body, HttpExchange exchange) throws IOException;
    }

    private static FakeAnthropic shared;

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "fake-anthropic");
        thread.setDaemon(true);
        return thread;
    });
    private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
    private final AtomicInteger requestIds = new AtomicInteger();
    private volatile Responder responder = FakeAnthropic::standard;
    private volatile StreamingResponder streamingResponder;

    private FakeAnthropic() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /** The JVM's fake, started on first use. */
    public static synchronized FakeAnthropic shared() {
        if (shared == null) {
            try {
                shared = new FakeAnthropic();
            } catch (IOException e) {
                throw new IllegalStateException("cannot start the fake Anthropic API", e);
            }
            FakeAnthropic started = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(started::stop, "fake-anthropic-stop"));
        }
        return shared;
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Back to the standard answers, with nothing received. */
    public void reset() {
        responder = FakeAnthropic::standard;
        streamingResponder = null;
        received.clear();
    }

    public void respondWith(Responder responder) {
        this.responder = responder;
        this.streamingResponder = null;
    }

    /** Hands each request's body to {@code responder} unread; the recorded request has an empty body. */
    public void respondStreaming(StreamingResponder responder) {
        this.streamingResponder = responder;
    }

    /** The next request received, waiting up to 10 s. */
    public Received takeRequest() throws InterruptedException {
        Received request = received.poll(10, TimeUnit.SECONDS);
        if (request == null) {
            throw new AssertionError("the fake Anthropic API received no request within 10 s");
        }
        return request;
    }

    /** How many requests arrived since the last {@link #reset()} and were not taken. */
    public int pendingRequests() {
        return received.size();
    }

    public String nextRequestId() {
        return "req_fake_" + requestIds.incrementAndGet();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            StreamingResponder streaming = streamingResponder;
            if (streaming != null) {
                Received head = new Received(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(),
                        exchange.getRequestURI().getRawQuery(), headersOf(exchange), new byte[0]);
                received.add(head);
                try (InputStream in = exchange.getRequestBody()) {
                    streaming.respond(head, in, exchange);
                }
                return;
            }
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            Received request = new Received(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(),
                    exchange.getRequestURI().getRawQuery(), headersOf(exchange), body);
            received.add(request);
            responder.respond(request, exchange);
        } catch (IOException e) {
            // The proxy hung up on us (a test of disconnects, or a cancelled exchange): nothing to do.
        }
    }

    private static Map<String, List<String>> headersOf(HttpExchange exchange) {
        Map<String, List<String>> headers = new TreeMap<>();
        exchange.getRequestHeaders().forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT), List.copyOf(values)));
        return headers;
    }

    // --- standard answers ---------------------------------------------------------------------

    /** The API's answers to the calls tests make, as the real one would give them. */
    public static void standard(Received request, HttpExchange exchange) throws IOException {
        String path = request.path();
        if (request.method().equals("POST") && path.endsWith("/v1/messages")) {
            if (request.bodyText().replace(" ", "").contains("\"stream\":true")) {
                streamMessage(exchange, Wire.standardEvents("Hello from the fake"), null);
            } else {
                json(exchange, 200, Wire.message("msg_fake_01", "Hello from the fake"));
            }
        } else if (request.method().equals("POST") && path.endsWith("/v1/messages/count_tokens")) {
            json(exchange, 200, "{\"input_tokens\":12}");
        } else if (request.method().equals("GET") && path.endsWith("/v1/models")) {
            json(exchange, 200, Wire.modelList());
        } else {
            json(exchange, 404, Wire.error("not_found_error", "Not found"));
        }
    }

    /** A JSON answer with a fresh {@code request-id}. */
    public static void json(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        Headers headers = exchange.getResponseHeaders();
        headers.set("content-type", "application/json");
        headers.set("request-id", shared().nextRequestId());
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /**
     * An SSE answer: each event written and flushed on its own. With a gate, the fake waits after
     * each event until the client has seen it, which proves nothing in between buffers.
     */
    public static void streamMessage(HttpExchange exchange, List<Wire.Event> events, StreamGate gate) throws IOException {
        Headers headers = exchange.getResponseHeaders();
        headers.set("content-type", "text/event-stream; charset=utf-8");
        headers.set("cache-control", "no-cache");
        headers.set("request-id", shared().nextRequestId());
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        int surfaced = 0;
        for (Wire.Event event : events) {
            long writtenAt = System.nanoTime();
            out.write(event.bytes());
            out.flush();
            if (gate != null && event.surfacesInSdk()) {
                gate.awaitClient(surfaced++, writtenAt);
            }
        }
        out.close();
    }

    /** An SSE answer whose events come {@code pause} apart, like a model thinking between tokens. */
    public static void pacedStream(HttpExchange exchange, List<Wire.Event> events, java.time.Duration pause) throws IOException {
        Headers headers = exchange.getResponseHeaders();
        headers.set("content-type", "text/event-stream; charset=utf-8");
        headers.set("request-id", shared().nextRequestId());
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        for (Wire.Event event : events) {
            out.write(event.bytes());
            out.flush();
            try {
                Thread.sleep(pause.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        out.close();
    }

    private void stop() {
        server.stop(0);
        executor.shutdownNow();
    }
}
