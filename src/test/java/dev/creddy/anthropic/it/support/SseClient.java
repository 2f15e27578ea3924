package dev.creddy.anthropic.it.support;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One streamed Messages request through the proxy, its response read line by line as it arrives on
 * a thread of its own, so a test can wait for a line with a deadline. {@link #close()} hangs up.
 */
public final class SseClient implements AutoCloseable {

    /** Put in the queue when the body ended (or broke). */
    private static final String END = "\u0000end";

    private final HttpResponse<InputStream> response;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> seen = new CopyOnWriteArrayList<>();
    private final Thread reader;

    private SseClient(HttpResponse<InputStream> response) {
        this.response = response;
        this.reader = new Thread(this::read, "sse-client");
        reader.setDaemon(true);
        reader.start();
    }

    /** Sends {@code body} to {@code base}/v1/messages with {@code token}; returns once the head arrived. */
    public static SseClient open(String base, String token, String body) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(base.replaceAll("/$", "") + "/v1/messages"))
                .timeout(Duration.ofSeconds(60)).header("x-api-key", token).header("anthropic-version", "2023-06-01")
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return new SseClient(http.send(request, HttpResponse.BodyHandlers.ofInputStream()));
    }

    public int status() {
        return response.statusCode();
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                seen.add(line);
                lines.add(line);
            }
        } catch (IOException e) {
            // A broken stream ends here like a finished one; the test looks at what arrived.
        } finally {
            lines.add(END);
        }
    }

    /** Waits for a line that starts with {@code prefix}; the line, or null when the body ended or the time ran out first. */
    public String awaitLine(String prefix, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            String line = left <= 0 ? null : lines.poll(left, TimeUnit.NANOSECONDS);
            if (line == null || line.equals(END)) {
                if (line != null) {
                    lines.add(END);
                }
                return null;
            }
            if (line.startsWith(prefix)) {
                return line;
            }
        }
    }

    /** Whether the body ends within {@code within}. */
    public boolean awaitEnd(Duration within) throws InterruptedException {
        reader.join(within.toMillis());
        return !reader.isAlive();
    }

    /** Every line that arrived so far. */
    public List<String> seen() {
        return List.copyOf(seen);
    }

    /** Hangs up: the client goes away mid-stream. */
    @Override
    public void close() throws IOException {
        response.body().close();
    }
}
