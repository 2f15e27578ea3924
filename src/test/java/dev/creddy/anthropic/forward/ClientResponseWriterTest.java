package dev.creddy.anthropic.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.forward.ClientResponseWriter.WriteState;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.message.BasicHeader;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Every transition of the response writer, driven through fakes of the container's output and HttpClient's capacity channel. */
@Timeout(20)
class ClientResponseWriterTest {

    /** What the writer told its exchange; a finish releases the writer, as the exchange does. */
    final class Events implements ClientResponseWriter.Events {
        final List<Throwable> clientFailures = new CopyOnWriteArrayList<>();
        final List<Boolean> finished = new CopyOnWriteArrayList<>();
        final List<Integer> headsGoing = new CopyOnWriteArrayList<>();
        /** False: the exchange has already ended when the head is about to go (a failure won the race). */
        volatile boolean exchangeRunning = true;

        @Override
        public boolean headGoing(int status) {
            headsGoing.add(status);
            return exchangeRunning;
        }

        @Override
        public void clientFailed(Throwable cause) {
            clientFailures.add(cause);
        }

        @Override
        public void finished(boolean broken) {
            finished.add(broken);
            writer.release(broken);
        }
    }

    private static final ApiError ERROR = ApiError.of(502, "the upstream broke");
    private static final byte[] JSON = "{\"type\":\"error\"}".getBytes(StandardCharsets.UTF_8);
    private static final byte[] EVENT = "event: error\ndata: {}\n\n".getBytes(StandardCharsets.UTF_8);
    private static final List<Header> HEADERS = List.of(new BasicHeader("request-id", "req_1"),
            new BasicHeader("content-type", "text/event-stream"));

    private final Fakes.Leg leg = new Fakes.Leg();
    private final Fakes.Capacity capacity = new Fakes.Capacity();
    private final Events events = new Events();
    private ClientResponseWriter writer;

    @BeforeEach
    void start() throws IOException {
        writer = new ClientResponseWriter(leg, events);
        writer.start();
        assertTrue(leg.output.listener == writer);
        assertEquals(WriteState.IDLE, writer.state());
    }

    /** The writer reads the container's response buffer when it starts. */
    private void restartWithResponseBuffer(int size) throws IOException {
        leg.output.bufferSize = size;
        writer = new ClientResponseWriter(leg, events);
        writer.start();
    }

    private static ByteBuffer chunk(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aStreamGoesOutEventByEventAndCreditsTheUpstreamOnceWritten() {
        writer.updateCapacity(capacity);
        assertTrue(writer.head(200, HEADERS, -1, Map.of("X-Accel-Buffering", "no"), true, true));
        assertEquals(WriteState.OPEN, writer.state());
        assertEquals(200, leg.status);
        assertEquals("req_1", leg.header("request-id"));
        assertEquals("no", leg.header("X-Accel-Buffering"));
        assertEquals(1, leg.output.flushes.get(), "the head is flushed before the first event");

        assertTrue(writer.body(chunk("event: a\n\n")));
        assertTrue(writer.body(chunk("event: b\n\n")));
        assertEquals("event: a\n\nevent: b\n\n", leg.output.text());
        assertEquals(3, leg.output.flushes.get(), "each event is flushed");
        assertEquals(0, capacity.credited.get(), "credit goes back in batches");
        assertTrue(writer.body(ByteBuffer.wrap(new byte[ClientResponseWriter.CREDIT_BATCH - 20])));
        assertEquals(ClientResponseWriter.CREDIT_BATCH, capacity.credited.get(), "a whole batch is credited once written");

        writer.end();
        assertEquals(WriteState.DONE, writer.state());
        assertEquals(List.of(false), events.finished);
        assertEquals(1, leg.completes.get());
        assertFalse(writer.body(chunk("late")), "nothing is written after the end");
    }

    @Test
    void aChunkLargerThanTheResponseBufferGoesOutInFlushedSlicesWithoutWaitingForTheContainer() throws IOException {
        restartWithResponseBuffer(2048);
        writer.updateCapacity(capacity);
        int size = ClientResponseWriter.CREDIT_BATCH + 904;
        writer.head(200, List.of(), size, Map.of(), false, true);
        assertEquals(0, leg.output.flushes.get(), "a body's head waits for its first slice");
        assertTrue(writer.body(ByteBuffer.wrap(new byte[size])));
        List<Integer> slices = new java.util.ArrayList<>(java.util.Collections.nCopies(ClientResponseWriter.CREDIT_BATCH / 2048, 2048));
        slices.add(904);
        assertEquals(slices, leg.output.writes, "no write is larger than the response buffer");
        assertEquals(slices.size(), leg.output.flushes.get(), "each slice is flushed on the writing thread");
        assertTrue(leg.output.ready, "the output never waited for the container to write for it");
        assertEquals(size, capacity.credited.get(), "the upstream is credited at once");
        writer.end();
        assertEquals(WriteState.DONE, writer.state());
        assertEquals(1, leg.completes.get());
    }

    @Test
    void slicesWaitForTheClientAndResumeInOrder() throws IOException {
        restartWithResponseBuffer(4);
        writer.updateCapacity(capacity);
        writer.head(200, List.of(), 14, Map.of(), false, true);
        leg.output.ready = false;
        writer.body(chunk("abcdefghij"));
        writer.body(chunk("klmn"));
        assertEquals("", leg.output.text(), "nothing is written while the client is not ready");
        assertEquals(0, capacity.credited.get());

        leg.output.ready = true;
        writer.onWritePossible();
        assertEquals("abcdefghijklmn", leg.output.text());
        assertEquals(List.of(4, 4, 2, 4), leg.output.writes, "each chunk in slices, in order");
    }

    @Test
    void aResponseWithoutBodyEndsWithItsHead() {
        assertTrue(writer.head(204, List.of(), 0, Map.of(), false, false));
        assertEquals(0, leg.contentLength);
        assertEquals(List.of(false), events.finished);
        assertEquals(1, leg.completes.get());
    }

    @Test
    void aSlowClientHoldsTheCreditBackUntilItCanWrite() {
        writer.updateCapacity(capacity);
        byte[] body = new byte[ClientResponseWriter.CREDIT_BATCH];
        java.util.Arrays.fill(body, (byte) '7');
        writer.head(200, List.of(), body.length, Map.of(), false, true);
        leg.output.ready = false;
        writer.body(ByteBuffer.wrap(body));
        assertEquals(0, capacity.credited.get(), "no credit while the bytes wait");
        writer.end();
        assertEquals(WriteState.ENDING, writer.state());
        assertEquals(List.of(), events.finished);

        leg.output.ready = true;
        writer.onWritePossible();
        assertEquals(new String(body, StandardCharsets.US_ASCII), leg.output.text());
        assertEquals(body.length, capacity.credited.get());
        assertEquals(WriteState.DONE, writer.state());
        assertEquals(1, leg.completes.get());
    }

    @Test
    void anErrorBeforeTheHeadIsAWholeJsonResponse() {
        writer.error(ApiError.of(413, "too large"), JSON, EVENT, true);
        assertEquals(413, leg.status);
        assertEquals("application/json", leg.header("Content-Type"));
        assertEquals("close", leg.header("Connection"), "an unread body is not swallowed");
        assertEquals(JSON.length, leg.contentLength);
        assertEquals("{\"type\":\"error\"}", leg.output.text());
        assertEquals(List.of(false), events.finished);
        assertFalse(writer.head(200, HEADERS, -1, Map.of(), true, true), "no head after the error");
        writer.error(ERROR, JSON, EVENT, false);
        assertEquals(1, leg.completes.get(), "the error exit is idempotent");
    }

    @Test
    void anErrorBeforeTheHeadKeepsTheConnectionWhenTheBodyWasRead() {
        writer.error(ApiError.retryAfter(503, "busy", java.time.Duration.ofSeconds(1)), JSON, EVENT, false);
        assertNull(leg.header("Connection"));
        assertEquals("1", leg.header("retry-after"));
    }

    @Test
    void anErrorAfterAStreamsHeadEndsItWithAnErrorEvent() {
        writer.head(200, HEADERS, -1, Map.of(), true, true);
        writer.body(chunk("event: a\n\n"));
        writer.error(ERROR, JSON, EVENT, false);
        assertTrue(leg.output.text().endsWith("event: error\ndata: {}\n\n"), leg.output.text());
        assertEquals(List.of(false), events.finished);
        assertEquals(1, leg.completes.get());
    }

    /**
     * A plain head waits for its body's first slice, so an error before that (a revocation, an upstream
     * that breaks off at once) still has an uncommitted response: it takes the head's place. Broken off
     * instead, Tomcat would answer its own HTML 400 page under the upstream's headers.
     */
    @Test
    void anErrorAfterAPlainHeadButBeforeItsBodyIsAWholeJsonResponseInItsPlace() {
        writer.head(200, List.of(new BasicHeader("request-id", "req_1")), 100, Map.of("x-extra", "1"), false, true);
        assertEquals(0, leg.status, "a plain head waits for its body");
        writer.error(ApiError.of(401, "revoked"), JSON, EVENT, true);
        assertEquals(401, leg.status);
        assertEquals(List.of(), events.headsGoing, "the exchange never streamed");
        assertNull(leg.header("request-id"), "the upstream's head never reached the response");
        assertNull(leg.header("x-extra"));
        assertEquals("application/json", leg.header("Content-Type"));
        assertEquals("close", leg.header("Connection"));
        assertEquals(JSON.length, leg.contentLength);
        assertEquals("{\"type\":\"error\"}", leg.output.text());
        assertEquals(List.of(false), events.finished);
        assertEquals(1, leg.completes.get());
        assertEquals(0, leg.aborts.get());
    }

    @Test
    void anErrorBeforeAPlainBodysFirstSliceLeftDropsWhatWaits() {
        writer.head(200, List.of(), 100, Map.of(), false, true);
        leg.output.ready = false;
        writer.body(chunk("never sent"));
        writer.error(ERROR, JSON, EVENT, false);
        assertEquals(502, leg.status);
        assertEquals("", leg.output.text(), "nothing is written while the client cannot take it");
        leg.output.ready = true;
        writer.onWritePossible();
        assertEquals("{\"type\":\"error\"}", leg.output.text());
        assertEquals(List.of(false), events.finished);
        assertEquals(1, leg.completes.get());
    }

    /** The race: a failure ends the exchange just before the head would go; the head stays back and the error takes its place. */
    @Test
    void aHeadWhoseExchangeEndedFirstStaysBackForTheError() {
        events.exchangeRunning = false;
        writer.head(200, List.of(new BasicHeader("request-id", "req_1")), 100, Map.of(), false, true);
        writer.body(chunk("never sent"));
        assertEquals(List.of(200), events.headsGoing);
        assertEquals(0, leg.status, "nothing was set");
        assertEquals("", leg.output.text());
        assertEquals(List.of(), events.finished, "the writer waits for the failure's error");
        writer.error(ERROR, JSON, EVENT, false);
        assertEquals(502, leg.status);
        assertNull(leg.header("request-id"));
        assertEquals("{\"type\":\"error\"}", leg.output.text());
        assertEquals(List.of(false), events.finished);
        assertEquals(1, leg.completes.get());
    }

    @Test
    void anErrorAfterPartOfAPlainBodyBreaksTheConnection() {
        writer.head(200, List.of(), 100, Map.of(), false, true);
        writer.body(chunk("part of it"));
        writer.error(ERROR, JSON, EVENT, false);
        assertEquals(200, leg.status);
        assertEquals(List.of(200), events.headsGoing);
        assertEquals("part of it", leg.output.text());
        assertEquals(List.of(true), events.finished);
        assertEquals(1, leg.aborts.get());
        assertEquals(0, leg.completes.get());
    }

    /** The race: the upstream fails while a client write is pending; the pending bytes are dropped, nothing is written after. */
    @Test
    void anUpstreamFailureWhileTheClientWriteIsPendingDropsThePendingBytes() {
        writer.head(200, List.of(), 100, Map.of(), false, true);
        writer.body(chunk("sent"));
        leg.output.ready = false;
        writer.body(chunk("pending"));
        writer.error(ERROR, JSON, EVENT, false);
        assertEquals(List.of(true), events.finished);
        leg.output.ready = true;
        writer.onWritePossible();
        assertEquals("sent", leg.output.text());
        assertEquals(1, leg.aborts.get());
    }

    @Test
    void aClientThatLeavesFinishesTheWriterOnce() {
        writer.head(200, HEADERS, -1, Map.of(), true, true);
        writer.clientGone();
        writer.clientGone();
        writer.onError(new IOException("reset"));
        assertEquals(List.of(false), events.finished);
        assertEquals(1, leg.completes.get());
        assertFalse(writer.body(chunk("late")));
    }

    @Test
    void aClientGoneBeforeTheHeadGetsNoHead() {
        writer.clientGone();
        assertFalse(writer.head(200, HEADERS, -1, Map.of(), true, true));
        assertEquals(0, leg.status);
        assertEquals(List.of(false), events.finished);
    }

    @Test
    void aFailedWriteReportsTheClientAndFinishes() {
        writer.head(200, HEADERS, -1, Map.of(), true, true);
        leg.output.failure = new IOException("broken pipe");
        writer.body(chunk("event: a\n\n"));
        assertEquals(1, events.clientFailures.size());
        assertTrue(events.clientFailures.get(0) instanceof ClientGoneException);
        assertEquals(List.of(false), events.finished);
        assertEquals(WriteState.DONE, writer.state());
    }

    @Test
    void theContainersWriteErrorFinishesTheWriter() {
        writer.head(200, HEADERS, -1, Map.of(), true, true);
        writer.onError(new IOException("reset"));
        assertEquals(1, events.clientFailures.size());
        assertEquals(List.of(false), events.finished);
        assertEquals(1, leg.completes.get());
    }

    /**
     * The race: the client errors while the head is being written. The head that started first wins the
     * lock; the client's error waits for it, then finishes the writer, and nothing touches the response
     * after its release (the fake leg fails any such touch).
     */
    @RepeatedTest(20)
    void aClientErrorWhileTheHeadIsBeingWrittenWaitsForTheHead() throws Exception {
        leg.statusGate = new CountDownLatch(1);
        CompletableFuture<Boolean> head = CompletableFuture.supplyAsync(() -> writer.head(200, HEADERS, -1, Map.of(), true, true));
        assertTrue(leg.statusEntered.await(5, TimeUnit.SECONDS));
        CompletableFuture<Void> error = CompletableFuture.runAsync(() -> writer.onError(new IOException("reset")));
        Thread.sleep(20);
        assertFalse(error.isDone(), "the client's error waits for the head being written");
        leg.statusGate.countDown();
        assertTrue(head.get(5, TimeUnit.SECONDS));
        error.get(5, TimeUnit.SECONDS);
        assertEquals(WriteState.DONE, writer.state());
        assertEquals(List.of(false), events.finished);
        assertEquals(1, leg.completes.get());
        assertFalse(writer.body(chunk("event: a\n\n")));
    }

    /** The other order: the client's error came first, so the head finds the writer done and touches nothing. */
    @Test
    void aHeadAfterTheClientsErrorTouchesNothing() {
        writer.onError(new IOException("reset"));
        AtomicInteger before = new AtomicInteger(leg.headers.size());
        assertFalse(writer.head(200, HEADERS, -1, Map.of(), true, true));
        assertEquals(before.get(), leg.headers.size());
        assertEquals(1, leg.completes.get());
    }
}
