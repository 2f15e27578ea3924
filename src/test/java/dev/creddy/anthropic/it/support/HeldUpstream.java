package dev.creddy.anthropic.it.support;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fake upstream that holds each request, for tests of what is in flight: a JSON message is
 * answered after {@link #hold}; a streamed one ({@code "stream":true}) sends {@code message_start}
 * (with {@code inputTokens}) and then a text delta every 100 ms for up to a minute, until the proxy
 * hangs up, which it counts ({@link #cutOff}). {@link #maxInFlight} is the most requests it held at
 * once, counted from arrival to the moment its answer is written (before the last bytes go out, so
 * that a proxy that hands out the slot again at once cannot be counted twice). Thread-safe.
 */
public final class HeldUpstream implements FakeAnthropic.Responder {

    private static final Duration PACE = Duration.ofMillis(100);
    private static final int MAX_DELTAS = 600;

    private final Duration hold;
    private final long inputTokens;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private final AtomicInteger streaming = new AtomicInteger();
    private final AtomicInteger cutOffs = new AtomicInteger();
    private volatile CountDownLatch cutOff = new CountDownLatch(1);

    public HeldUpstream(Duration hold, long inputTokens) {
        this.hold = hold;
        this.inputTokens = inputTokens;
    }

    @Override
    public void respond(FakeAnthropic.Received request, HttpExchange exchange) throws IOException {
        maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
        boolean left = false;
        try {
            if (request.bodyText().replace(" ", "").contains("\"stream\":true")) {
                stream(exchange);
                return;
            }
            sleep(hold);
            inFlight.decrementAndGet();
            left = true;
            FakeAnthropic.json(exchange, 200, Wire.message("msg_held", "held"));
        } finally {
            if (!left) {
                inFlight.decrementAndGet();
            }
        }
    }

    private void stream(HttpExchange exchange) throws IOException {
        Headers headers = exchange.getResponseHeaders();
        headers.set("content-type", "text/event-stream; charset=utf-8");
        headers.set("request-id", FakeAnthropic.shared().nextRequestId());
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        streaming.incrementAndGet();
        try {
            java.util.List<Wire.Event> events = Wire.eventsWithUsage(inputTokens, 0, 0, 1, "x");
            out.write(events.get(0).bytes());
            out.write(events.get(1).bytes());
            out.flush();
            for (int i = 0; i < MAX_DELTAS; i++) {
                sleep(PACE);
                out.write(new Wire.Event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,"
                        + "\"delta\":{\"type\":\"text_delta\",\"text\":\" more\"}}").bytes());
                out.flush();
            }
            for (int i = 4; i < events.size(); i++) {
                out.write(events.get(i).bytes());
            }
            out.close();
        } catch (IOException e) {
            cutOffs.incrementAndGet();
            cutOff.countDown();
            throw e;
        } finally {
            streaming.decrementAndGet();
        }
    }

    private static void sleep(Duration pause) {
        try {
            Thread.sleep(pause.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The most requests held at once so far. */
    public int maxInFlight() {
        return maxInFlight.get();
    }

    /** Streams being written now. */
    public int streaming() {
        return streaming.get();
    }

    /** Streams the proxy hung up on so far. */
    public int cutOffs() {
        return cutOffs.get();
    }

    /** Waits for the next stream the proxy hangs up on; true when one was cut within {@code within}. */
    public boolean awaitCutOff(Duration within) throws InterruptedException {
        boolean cut = cutOff.await(within.toMillis(), TimeUnit.MILLISECONDS);
        cutOff = new CountDownLatch(1);
        return cut;
    }

    /** A streamed Messages request body. */
    public static String streamBody() {
        return "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":64,\"stream\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";
    }

    /** A plain Messages request body. */
    public static String messageBody() {
        return "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":64,\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";
    }
}
