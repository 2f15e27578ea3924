package dev.creddy.anthropic.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.forward.ClientRequestReader.ReadState;
import dev.creddy.anthropic.ownership.MemoryObjectOwners;
import dev.creddy.anthropic.ownership.ObjectKind;
import dev.creddy.anthropic.ownership.ObjectOwners;
import dev.creddy.anthropic.ownership.Owner;
import dev.creddy.anthropic.token.TokenId;
import dev.creddy.anthropic.token.TokenLimits;
import dev.creddy.anthropic.token.TokenRecord;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.coyote.BadRequestException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Every transition of the request reader, driven through fakes of the container's stream and HttpClient's channel. */
@Timeout(20)
class ClientRequestReaderTest {

    /** What the reader told its exchange. */
    static final class Events implements ClientRequestReader.Events {
        final AtomicInteger read = new AtomicInteger();
        final AtomicInteger gateOpened = new AtomicInteger();
        final AtomicInteger bodyEnded = new AtomicInteger();
        final List<Outcome> failures = new CopyOnWriteArrayList<>();
        final List<Throwable> causes = new CopyOnWriteArrayList<>();
        volatile boolean ended;

        @Override
        public void bodyRead(int bytes) {
            read.addAndGet(bytes);
        }

        @Override
        public void gateOpened() {
            gateOpened.incrementAndGet();
        }

        @Override
        public void bodyEnded() {
            bodyEnded.incrementAndGet();
        }

        @Override
        public void bodyFailed(Outcome outcome, Throwable cause) {
            failures.add(outcome);
            causes.add(cause);
            ended = true;
        }

        @Override
        public boolean isEnded() {
            return ended;
        }
    }

    private final Events events = new Events();
    private final Fakes.Input input = new Fakes.Input();
    private final Fakes.Upstream upstream = new Fakes.Upstream();

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static ModelCheck allowing(String... models) {
        return ModelCheck.forRequest(new TokenLimits(OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty(),
                List.of(models)), "POST", "/v1/messages");
    }

    @Test
    void aBodyIsReadThenSentThenEnded() throws IOException {
        byte[] body = bytes("{\"model\":\"claude-haiku\",\"max_tokens\":1}");
        input.add(body).ended = true;
        ClientRequestReader reader = new ClientRequestReader(events, input, body.length, 1024, null);
        assertFalse(reader.isGated());
        assertEquals(ReadState.READING, reader.state());

        reader.onDataAvailable();
        assertEquals(ReadState.CLIENT_ENDED, reader.state());
        assertTrue(reader.wholeBodyRead());
        assertEquals(1, events.bodyEnded.get());
        assertEquals(body.length, reader.available());

        reader.produce(upstream);
        assertEquals(ReadState.ENDED, reader.state());
        assertTrue(upstream.ended);
        assertEquals(new String(body, StandardCharsets.UTF_8), upstream.sent.toString(StandardCharsets.UTF_8));
        assertEquals(body.length, events.read.get());
        assertEquals(List.of(), events.failures);

        // The container's own end notice after the reader saw the end changes nothing.
        reader.onAllDataRead();
        assertEquals(ReadState.ENDED, reader.state());
        assertEquals(1, events.bodyEnded.get());
    }

    @Test
    void aFullBufferPausesReadingUntilTheUpstreamTakesBytes() throws IOException {
        int size = ClientRequestReader.BUFFER_SIZE * 2;
        for (int i = 0; i < size / 1024; i++) {
            input.add(new byte[1024]);
        }
        input.ended = true;
        ClientRequestReader reader = new ClientRequestReader(events, input, size, size, null);
        reader.onDataAvailable();
        assertEquals(ReadState.PAUSED, reader.state());
        assertEquals(ClientRequestReader.BUFFER_SIZE, reader.available());

        upstream.window = 4096;
        // produce() drains some, then resumes reading on its own thread (the container will not call again).
        reader.produce(upstream);
        assertTrue(upstream.size() == 4096 && events.read.get() > ClientRequestReader.BUFFER_SIZE,
                "produce() read on after draining: " + events.read.get());
        upstream.window = Integer.MAX_VALUE;
        while (reader.state() != ReadState.ENDED) {
            reader.produce(upstream);
        }
        assertEquals(size, upstream.size());
        assertTrue(upstream.ended);
        assertEquals(size, events.read.get());
    }

    @Test
    void theGateOpensOnlyWhenTheModelCheckAllowsAtTheEnd() throws IOException {
        byte[] body = bytes("{\"model\":\"claude-haiku\",\"max_tokens\":1}");
        input.add(body);
        ClientRequestReader reader = new ClientRequestReader(events, input, -1, 1024, allowing("claude-haiku"));
        assertTrue(reader.isGated());
        reader.onDataAvailable();
        assertEquals(0, events.gateOpened.get(), "a second model key could still follow");
        input.ended = true;
        reader.onAllDataRead();
        assertEquals(1, events.gateOpened.get());
        assertEquals("claude-haiku", reader.model());
        reader.produce(upstream);
        assertTrue(upstream.ended);
        assertEquals(List.of(), events.failures);
    }

    @Test
    void aRefusedModelFailsTheBodyAndNeverOpensTheGate() throws IOException {
        input.add(bytes("{\"model\":\"claude-opus\",\"max_tokens\":1}"));
        ClientRequestReader reader = new ClientRequestReader(events, input, -1, 1024, allowing("claude-haiku"));
        reader.onDataAvailable();
        assertEquals(ReadState.FAILED, reader.state());
        assertEquals(List.of(Outcome.MODEL_REFUSED), events.failures);
        assertTrue(events.causes.get(0) instanceof RequestRefusedException);
        assertEquals(0, events.gateOpened.get());
        assertFalse(reader.wholeBodyRead());
    }

    @Test
    void anUndecidedCheckOpensTheGateWhenTheBufferIsFull() {
        StringBuilder json = new StringBuilder("{\"messages\":\"");
        json.append("x".repeat(ClientRequestReader.BUFFER_SIZE));
        json.append("\",\"model\":\"claude-haiku\"}");
        byte[] body = bytes(json.toString());
        input.add(body);
        ClientRequestReader reader = new ClientRequestReader(events, input, body.length, body.length * 2L,
                allowing("claude-haiku"));
        reader.onDataAvailable();
        assertEquals(ReadState.PAUSED, reader.state());
        assertEquals(1, events.gateOpened.get());
    }

    @Test
    void aChunkedBodyOverTheLimitFailsAsTooLarge() {
        input.add(new byte[600]).add(new byte[600]);
        ClientRequestReader reader = new ClientRequestReader(events, input, -1, 1000, null);
        reader.onDataAvailable();
        assertEquals(List.of(Outcome.REQUEST_TOO_LARGE), events.failures);
        assertEquals(ReadState.FAILED, reader.state());
    }

    @Test
    void aClientErrorFailsTheBodyAndBreaksTheUploadAtItsNextProduce() throws IOException {
        input.add(new byte[10]);
        ClientRequestReader reader = new ClientRequestReader(events, input, 100, 1000, null);
        reader.onDataAvailable();
        reader.produce(upstream);
        int woken = upstream.outputRequests.get();
        reader.onError(new EOFException("reset"));
        assertEquals(List.of(Outcome.CLIENT_DISCONNECTED), events.failures);
        assertTrue(upstream.outputRequests.get() > woken, "the upload is woken so that it breaks off");
        assertThrows(CancelledExchangeException.class, () -> reader.produce(upstream));
        // A second failure is not reported again.
        reader.onError(new EOFException("again"));
        assertEquals(1, events.failures.size());
    }

    @Test
    void aMalformedChunkIsTheClientsMistakeNotItsAbsence() {
        input.failure = new BadRequestException("Invalid chunk header");
        ClientRequestReader reader = new ClientRequestReader(events, input, -1, 1000, null);
        reader.onDataAvailable();
        assertEquals(List.of(Outcome.REQUEST_BODY_MALFORMED), events.failures);
    }

    @Test
    void closingWhileIdleRunsTheCompletionAtOnceAndWakesAnUnfinishedUpload() throws IOException {
        input.add(new byte[10]);
        ClientRequestReader reader = new ClientRequestReader(events, input, 100, 1000, null);
        reader.onDataAvailable();
        reader.produce(upstream);
        int woken = upstream.outputRequests.get();
        AtomicInteger completed = new AtomicInteger();
        events.ended = true;
        reader.closeThen(completed::incrementAndGet);
        assertEquals(1, completed.get());
        assertEquals(ReadState.CLOSED, reader.state());
        assertTrue(upstream.outputRequests.get() > woken);
        assertThrows(CancelledExchangeException.class, () -> reader.produce(upstream));
        reader.onDataAvailable();
        assertEquals(1, input.reads.get(), "nothing is read after the close");
    }

    @Test
    void closingDuringAReadWaitsForTheReadToReturn() throws Exception {
        input.add(new byte[10]);
        input.readGate = new CountDownLatch(1);
        ClientRequestReader reader = new ClientRequestReader(events, input, 100, 1000, null);
        CompletableFuture<Void> reading = CompletableFuture.runAsync(reader::onDataAvailable);
        assertTrue(input.readEntered.await(5, TimeUnit.SECONDS));
        AtomicInteger completed = new AtomicInteger();
        reader.closeThen(completed::incrementAndGet);
        assertEquals(0, completed.get(), "the container must not recycle the stream under a read");
        input.readGate.countDown();
        reading.get(5, TimeUnit.SECONDS);
        assertEquals(1, completed.get());
        assertEquals(ReadState.CLOSED, reader.state());
        assertEquals(1, input.reads.get());
    }

    @Test
    void aBodyWithoutBytesEndsAtOnce() throws IOException {
        input.ended = true;
        ClientRequestReader reader = new ClientRequestReader(events, input, 0, 1000, null);
        reader.onAllDataRead();
        assertEquals(ReadState.CLIENT_ENDED, reader.state());
        assertEquals(1, reader.available());
        reader.produce(upstream);
        assertTrue(upstream.ended);
        assertEquals(ReadState.ENDED, reader.state());
    }

    // --- the file gate (issue 15, S8) ---------------------------------------------------------------

    /** Owners in memory whose answers wait until the test lets them go: the Redis store's late answer, in slow motion. */
    static final class LateOwners implements ObjectOwners {
        final MemoryObjectOwners store = new MemoryObjectOwners(java.time.Clock.systemUTC());
        final List<Runnable> waiting = new CopyOnWriteArrayList<>();

        void answer() {
            List<Runnable> now = List.copyOf(waiting);
            waiting.clear();
            now.forEach(Runnable::run);
        }

        @Override
        public java.util.concurrent.CompletionStage<Void> record(ObjectKind kind, String id, String owner) {
            return store.record(kind, id, owner);
        }

        @Override
        public java.util.Optional<String> ownerOf(ObjectKind kind, String id) {
            return store.ownerOf(kind, id);
        }

        @Override
        public java.util.concurrent.CompletionStage<java.util.Map<String, String>> ownersOf(ObjectKind kind,
                java.util.Collection<String> ids) {
            CompletableFuture<java.util.Map<String, String>> later = new CompletableFuture<>();
            waiting.add(() -> store.ownersOf(kind, ids).thenAccept(later::complete));
            return later;
        }

        @Override
        public java.util.concurrent.CompletionStage<Void> forget(ObjectKind kind, String id) {
            return store.forget(kind, id);
        }
    }

    private static final TokenRecord ALICE = new TokenRecord(new TokenId("tok_readerAlice00000"), "alice",
            java.time.Instant.now(), java.time.Instant.now().plusSeconds(600));

    private static FileReferenceCheck files(ObjectOwners owners) {
        return FileReferenceCheck.forRequest(new ForwardedRequest("POST", "/v1/messages", "/v1/messages", 1 << 20, ALICE,
                null, "127.0.0.1"), "application/json", null, owners, Runnable::run);
    }

    private static String withFile(String fileId) {
        return "{\"model\":\"claude-haiku\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"document\","
                + "\"source\":{\"type\":\"file\",\"file_id\":\"" + fileId + "\"}}]}]}";
    }

    @Test
    void theGateWaitsForTheOwnersOfTheFilesTheBodyNames() throws IOException {
        LateOwners owners = new LateOwners();
        owners.store.record(ObjectKind.FILE, "file_own", Owner.of(ALICE));
        byte[] body = bytes(withFile("file_own"));
        input.add(body).ended = true;
        ClientRequestReader reader = new ClientRequestReader(events, input, body.length, 1024, null, files(owners));
        assertTrue(reader.isGated(), "a Messages body can name a file");
        reader.onDataAvailable();
        assertEquals(ReadState.CLIENT_ENDED, reader.state());
        assertEquals(0, events.gateOpened.get(), "the store has not answered");
        assertEquals(0, reader.available(), "nothing to write while the owners are asked");

        owners.answer();
        assertEquals(1, events.gateOpened.get());
        while (reader.state() != ReadState.ENDED) {
            reader.produce(upstream);
        }
        assertEquals(new String(body, StandardCharsets.UTF_8), upstream.sent.toString(StandardCharsets.UTF_8));
        assertEquals(List.of(), events.failures);
    }

    @Test
    void aFileOfAnotherAgentFailsTheBodyBeforeTheGateOpens() {
        LateOwners owners = new LateOwners();
        owners.store.record(ObjectKind.FILE, "file_bobs", "agent:bob");
        byte[] body = bytes(withFile("file_bobs"));
        input.add(body).ended = true;
        ClientRequestReader reader = new ClientRequestReader(events, input, body.length, 1024, null, files(owners));
        reader.onDataAvailable();
        owners.answer();
        assertEquals(0, events.gateOpened.get());
        assertEquals(List.of(Outcome.FILE_REFUSED), events.failures);
        RequestRefusedException refused = (RequestRefusedException) events.causes.get(0);
        assertEquals(404, refused.error().status());
        assertTrue(refused.error().message().contains("file_bobs"), refused.error().message());
        assertThrows(CancelledExchangeException.class, () -> reader.produce(upstream));
        assertEquals(0, upstream.size());
    }

    @Test
    void anUploadUnderWayStopsShortOfALateFileUntilItsOwnerAnswers() throws IOException {
        LateOwners owners = new LateOwners();
        owners.store.record(ObjectKind.FILE, "file_late", Owner.of(ALICE));
        // A base64 document first, then the file: the gate opens on the full buffer, before the file is read.
        String padding = "x".repeat(ClientRequestReader.BUFFER_SIZE + 1000);
        byte[] body = bytes("{\"system\":\"" + padding + "\"," + withFile("file_late").substring(1));
        for (int at = 0; at < body.length; at += 1024) {
            input.add(java.util.Arrays.copyOfRange(body, at, Math.min(body.length, at + 1024)));
        }
        input.ended = true;
        ClientRequestReader reader = new ClientRequestReader(events, input, body.length, body.length, null, files(owners));
        reader.onDataAvailable();
        assertEquals(1, events.gateOpened.get(), "the buffer filled before any file was named");
        // Drain until the reader has read the file and asks its owner.
        for (int i = 0; i < 1000 && owners.waiting.isEmpty(); i++) {
            reader.produce(upstream);
        }
        assertFalse(owners.waiting.isEmpty(), "the file was read");
        int sentBefore = upstream.size();
        reader.produce(upstream);
        reader.produce(upstream);
        assertEquals(sentBefore, upstream.size(), "nothing more goes up while the owner is asked");
        assertFalse(upstream.ended);
        assertTrue(sentBefore < body.length);

        owners.answer();
        while (reader.state() != ReadState.ENDED) {
            reader.produce(upstream);
        }
        assertEquals(new String(body, StandardCharsets.UTF_8), upstream.sent.toString(StandardCharsets.UTF_8));
        assertEquals(List.of(), events.failures);
    }
}
