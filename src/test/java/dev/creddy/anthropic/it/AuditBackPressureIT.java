package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.Poll;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyWar;
import dev.creddy.anthropic.it.support.Scrape;
import dev.creddy.anthropic.it.support.StreamGate;
import dev.creddy.anthropic.it.support.Wire;
import java.net.URL;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A log destination that stops taking audit lines never slows a request or a stream: with a handler
 * on {@code creddy.audit} that blocks, thousands of requests and a paced stream still complete, the
 * lines the queue cannot hold are dropped and counted in {@code creddy.audit.dropped}, and once the
 * destination takes lines again the queue drains.
 */
@ExtendWith(ArquillianExtension.class)
@Timeout(120)
class AuditBackPressureIT {

    /** More than the sink's queue holds (8,192), so lines must drop. */
    private static final int REQUESTS = 9_000;

    @Deployment(testable = false)
    static WebArchive proxy() {
        return ProxyWar.withSettings("audit-back-pressure.war", ProxyWar.standardSettings());
    }

    @ArquillianResource
    URL base;

    /** Holds every audit line until released: the destination of a full disk or a stalled pipe. */
    private static final class BlockingHandler extends Handler {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch released = new CountDownLatch(1);
        final AtomicInteger published = new AtomicInteger();

        @Override
        public void publish(LogRecord record) {
            entered.countDown();
            try {
                released.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            published.incrementAndGet();
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aBlockedAuditDestinationDropsLinesAndSlowsNoRequest() throws Exception {
        FakeAnthropic.shared().reset();
        ProxyHttp http = new ProxyHttp(base);
        String token = http.issueToken("back-pressure", "10m");
        Logger audit = Logger.getLogger("creddy.audit");
        BlockingHandler blocked = new BlockingHandler();
        audit.addHandler(blocked);
        try {
            // The writer takes the first line and waits in the handler from then on.
            assertEquals(401, http.send(unauthenticated(http)).statusCode());
            assertTrue(blocked.entered.await(10, TimeUnit.SECONDS), "the writer reached the blocked destination");

            long start = System.nanoTime();
            Semaphore inFlight = new Semaphore(16);
            List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
            for (int i = 0; i < REQUESTS; i++) {
                inFlight.acquire();
                sent.add(http.sendAsync(unauthenticated(http), HttpResponse.BodyHandlers.ofString())
                        .whenComplete((response, failure) -> inFlight.release()));
            }
            for (CompletableFuture<HttpResponse<String>> response : sent) {
                assertEquals(401, response.get(30, TimeUnit.SECONDS).statusCode());
            }
            long elapsed = System.nanoTime() - start;

            // A stream through the proxy while the audit trail is still blocked: every event arrives.
            List<Wire.Event> events = Wire.textEvents("one", "two", "three", "four");
            StreamGate gate = new StreamGate(Wire.surfaced(events), 5_000);
            FakeAnthropic.shared().respondWith((request, exchange) -> FakeAnthropic.streamMessage(exchange, events, gate));
            AnthropicClient client = AnthropicOkHttpClient.builder().baseUrl(http.base()).apiKey(token).maxRetries(0)
                    .timeout(Duration.ofSeconds(30)).build();
            StringBuilder text = new StringBuilder();
            try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(MessageCreateParams.builder()
                    .model("claude-sonnet-4-5").maxTokens(64L).addUserMessage("Hello").build())) {
                int index = 0;
                for (RawMessageStreamEvent event : (Iterable<RawMessageStreamEvent>) stream.stream()::iterator) {
                    gate.clientSaw(index++);
                    if (event.isContentBlockDelta()) {
                        text.append(event.asContentBlockDelta().delta().asText().text());
                    }
                }
            }
            assertEquals("one two three four", text.toString());
            assertEquals(0, gate.stalls(), "every event reached the client before the upstream wrote the next one");

            Scrape metrics = scrape(http);
            double dropped = metrics.value("creddy_audit_dropped_total");
            // One line in the handler, 8,192 queued: of the 9,000 refusals at least 808 found no room.
            assertTrue(dropped >= REQUESTS - 8_192, "lines dropped and counted: " + dropped);
            assertEquals(8_192.0, metrics.value("creddy_audit_queued"), "the queue is full");
            assertEquals(0, blocked.published.get(), "the destination took nothing meanwhile");
            System.out.printf("%d refused requests in %.1f s with the audit destination blocked; %.0f lines dropped%n",
                    REQUESTS, elapsed / 1e9, dropped);
        } finally {
            blocked.released.countDown();
        }
        try {
            double queued = Poll.until(Duration.ofSeconds(60), () -> scrape(http).value("creddy_audit_queued"),
                    value -> value == 0.0);
            assertEquals(0.0, queued, "the queue drains once the destination takes lines again");
            // The gauge counts what waits in the queue; the writer's last batch may still be on its way.
            int published = Poll.until(Duration.ofSeconds(60), blocked.published::get, count -> count >= 8_192);
            assertTrue(published >= 8_192, "the queued lines were written: " + published);
        } finally {
            audit.removeHandler(blocked);
        }
    }

    private static HttpRequest unauthenticated(ProxyHttp http) {
        return http.request("/v1/messages").header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build();
    }

    private static Scrape scrape(ProxyHttp http) throws Exception {
        return Scrape.parse(http.send(http.request("/metrics").header("Authorization", "Bearer " + ProxyWar.ISSUER_KEY)
                .GET().build()).body());
    }
}
