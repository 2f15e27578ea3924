package dev.creddy.anthropic.forward;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Set;
import org.apache.hc.core5.http.nio.AsyncEntityProducer;
import org.apache.hc.core5.http.nio.DataStreamChannel;

/**
 * Reads the client's request body and streams it to the upstream: a servlet {@link ReadListener} on
 * one side, an HttpClient {@link AsyncEntityProducer} on the other, one small buffer between them,
 * and the model gate.
 *
 * <p>Back-pressure: the reader reads from the client only while the buffer has room. When it is full
 * it stops ({@link ReadState#PAUSED}; the container then stops calling {@code onDataAvailable}) until
 * {@link #produce} has handed bytes to the upstream connection, and then resumes reading itself.
 * Memory per exchange is bounded by the buffer, whatever the body's size.
 *
 * <p>Model gate: for a token that may only call some models a {@link ModelCheck} reads the body as it
 * arrives, and the exchange does not even start its upstream request until the gate opens
 * ({@link Events#gateOpened}): when the check allows the body (at its end), or when the buffer is
 * full and the check has refused nothing so far. A refused model in the first 64 KB therefore never
 * reaches the upstream, not even as a request line. A body whose model comes later (the Python SDK
 * writes {@code model} after {@code messages}) streams on while the check reads on, and a refusal
 * then breaks the upload before its end, so the upstream never receives a whole request.
 *
 * <p>File gate: a {@link FileReferenceCheck} reads the same bytes for the files they name, and each
 * chunk that names new ones asks the owner store before its bytes join the buffer. While an answer is
 * outstanding nothing goes up (the gate stays shut, or an upload under way stops short of those
 * bytes and waits), and a file that is not the agent's fails the body. So a request naming another
 * agent's file in its first 64 KB never reaches the upstream, and one naming it later never reaches
 * it whole.
 *
 * <p>Thread-safety: {@link #pump} runs on container threads ({@code onDataAvailable}) and on the
 * reactor thread (resuming after {@code produce}); the {@code reading} flag lets exactly one of them
 * read at a time, and one that arrives meanwhile makes it read once more. Nothing foreign is called
 * while the lock is held, the container's input stream included: when the reactor thread reads the
 * body's last bytes, Tomcat dispatches {@code onAllDataRead} to a container thread that holds the
 * connection's lock and then takes this one, so a reader calling into Tomcat under this lock would
 * deadlock with it. The exchange's completion waits for a read in progress
 * ({@link #closeThen}), so the container never recycles the stream under a reader.
 */
final class ClientRequestReader implements AsyncEntityProducer, ReadListener {

    static final int BUFFER_SIZE = 64 * 1024;
    private static final int SCRATCH_SIZE = 16 * 1024;
    /** Tomcat's exception for a request it cannot parse (a malformed chunk), matched by name: the WAR does not link Tomcat. */
    private static final String BAD_REQUEST = "org.apache.coyote.BadRequestException";

    /** The reading side's state; {@link #move} checks every transition. */
    enum ReadState {
        /** Reading from the client whenever it has data. */
        READING,
        /** The buffer is full: waiting for the upstream to take bytes. */
        PAUSED,
        /** The client sent its last byte; what is buffered still goes up. */
        CLIENT_ENDED,
        /** The end of the body went to the upstream. */
        ENDED,
        /** The body failed (client gone, too large, refused, malformed); the exchange heard why. */
        FAILED,
        /** The exchange is over: nothing is read any more. */
        CLOSED
    }

    /** What the reader tells its exchange: the narrow seam unit tests stand in for. */
    interface Events {
        /** {@code bytes} were read from the client. */
        void bodyRead(int bytes);

        /** The model gate opened: the upstream request may start. Called at most once, never under a lock. */
        void gateOpened();

        /** The client's body has ended (everything was read). Called at most once. */
        void bodyEnded();

        /** The body failed; the exchange ends with {@code outcome}. Called at most once. */
        void bodyFailed(Outcome outcome, Throwable cause);

        /** Whether the exchange is over (then a late {@link #produce} breaks the upstream request). */
        boolean isEnded();
    }

    private final Events events;
    private final ServletInputStream clientBody;
    private final long contentLength;
    private final long maxBody;
    /** Reads the body's model for the allowlist; null when the token has none. Used only by the reading thread. */
    private final ModelCheck modelCheck;
    /** Reads the files the body names; null for a body that cannot name one. Used only by the reading thread. */
    private final FileReferenceCheck fileCheck;
    private final Object lock = new Object();
    private final ByteBuffer buffer;
    /** Where a read lands before it joins the buffer: reads run without the lock, produce() may move the buffer. */
    private final byte[] scratch;

    private ReadState state = ReadState.READING;
    private long received;
    /** A thread is in {@link #pump}'s read loop; the end of the body and the exchange's completion wait for it. */
    private boolean reading;
    /** The container had more while a thread was reading: that thread reads once more. */
    private boolean readAgain;
    private DataStreamChannel channel;
    private volatile int buffered;
    /** The client's body ended but the upstream has not been told; makes {@link #available} ask for one more produce(). */
    private volatile boolean endPending;
    /** The whole body was read from the client: what the error exit needs to know to keep the connection. */
    private volatile boolean wholeBodyRead;
    /** Bytes may go up: no checks, or they allowed, or the buffer filled while they read on; and no owner is being asked. */
    private boolean gateOpen;
    private boolean gateAnnounced;
    /** The body ended and the checks allowed it. */
    private boolean checksPassed;
    /** The buffer filled while the checks had not decided: the body streams on while they read on. */
    private boolean bufferFilled;
    /** Owner lookups for the files the body names that have not answered; nothing goes up while there are any. */
    private int ownersPending;
    /** {@code ownersPending > 0}, for {@link #available}, which HttpClient calls without the lock. */
    private volatile boolean holding;
    /** The file check went blind: the rest of the body is read and counted, never buffered. Set by the reading thread. */
    private boolean blinded;
    /** The model check heard the end of the body (once, from whichever thread saw the end last). */
    private boolean checkEnded;
    /** The exchange's completion, waiting for the read in progress to return. */
    private Runnable afterRead;

    /**
     * @param contentLength the declared length, or -1 for a chunked body
     * @param modelCheck what reads the body's model for the token's allowlist, or null: the gate is then open
     */
    ClientRequestReader(Events events, ServletInputStream clientBody, long contentLength, long maxBody, ModelCheck modelCheck) {
        this(events, clientBody, contentLength, maxBody, modelCheck, null);
    }

    /**
     * @param fileCheck what reads the files the body names and asks their owners, or null when the body
     *     cannot name one
     */
    ClientRequestReader(Events events, ServletInputStream clientBody, long contentLength, long maxBody, ModelCheck modelCheck,
            FileReferenceCheck fileCheck) {
        this.events = events;
        this.clientBody = clientBody;
        this.contentLength = contentLength;
        this.maxBody = maxBody;
        this.modelCheck = modelCheck;
        this.fileCheck = fileCheck;
        this.gateOpen = modelCheck == null && fileCheck == null;
        this.gateAnnounced = gateOpen;
        // A body of known size needs no more room than itself: most requests are a few KB.
        this.buffer = ByteBuffer.allocate((int) (contentLength >= 0 ? Math.max(1, Math.min(BUFFER_SIZE, contentLength))
                : BUFFER_SIZE));
        this.scratch = new byte[Math.min(SCRATCH_SIZE, buffer.capacity())];
    }

    /** Whether the exchange must wait for {@link Events#gateOpened} before it sends anything upstream. */
    boolean isGated() {
        return modelCheck != null || fileCheck != null;
    }

    /** Whether the client's whole body has been read: otherwise the client connection cannot be reused. */
    boolean wholeBodyRead() {
        return wholeBodyRead;
    }

    /** The first model the body named, for the audit line; null when none was read (or there is no check). */
    String model() {
        return modelCheck == null ? null : modelCheck.model();
    }

    /** The body's {@code max_tokens}, when the check read it (a request held to a dollar budget). */
    java.util.OptionalLong maxTokens() {
        return modelCheck == null ? java.util.OptionalLong.empty() : modelCheck.maxTokens();
    }

    /** The body's size for the reservation's input estimate: its declared length, else what was read so far. */
    long bodySize() {
        synchronized (lock) {
            return contentLength >= 0 ? contentLength : received;
        }
    }

    ReadState state() {
        synchronized (lock) {
            return state;
        }
    }

    // --- servlet side -------------------------------------------------------------------------

    @Override
    public void onDataAvailable() {
        pump();
    }

    @Override
    public void onAllDataRead() {
        DataStreamChannel toWake;
        boolean endCheck;
        boolean ended = false;
        synchronized (lock) {
            if (state == ReadState.READING || state == ReadState.PAUSED) {
                move(ReadState.CLIENT_ENDED);
                endPending = true;
                ended = markWholeBodyRead();
            }
            endCheck = takeCheckEnd();
            toWake = channel;
        }
        if (ended) {
            events.bodyEnded();
        }
        if (endCheck && !endChecks()) {
            return;
        }
        if (toWake != null) {
            toWake.requestOutput();
        }
    }

    @Override
    public void onError(Throwable failure) {
        fail(outcomeOf(failure), new ClientGoneException(failure));
    }

    /**
     * Reads what the client has, while the buffer has room. One thread reads at a time; the
     * container's input stream is only ever called with the lock released (see the class comment).
     */
    private void pump() {
        synchronized (lock) {
            if (reading) {
                // Another thread is in the loop below; it looks once more before it stops.
                readAgain = true;
                return;
            }
            if (state != ReadState.READING) {
                return;
            }
            reading = true;
        }
        boolean more = true;
        while (more) {
            int room;
            synchronized (lock) {
                readAgain = false;
                room = state == ReadState.READING ? buffer.remaining() : 0;
            }
            int read = 0;
            boolean ended = false;
            boolean drained = false;
            IOException failure = null;
            if (room > 0) {
                try {
                    if (clientBody.isReady()) {
                        read = clientBody.read(scratch, 0, Math.min(room, scratch.length));
                        ended = read < 0 || clientBody.isFinished();
                    } else {
                        // The container calls onDataAvailable once more bytes arrive.
                        drained = true;
                        ended = clientBody.isFinished();
                    }
                } catch (IOException e) {
                    failure = e;
                }
            }
            if (read > 0 && modelCheck != null && !passCheck(modelCheck.read(scratch, 0, read))) {
                finishReading();
                return;
            }
            // Before the bytes join the buffer: a lookup they start holds them (and all after them) back.
            if (read > 0 && fileCheck != null && !checkFiles(fileCheck.read(scratch, 0, read))) {
                finishReading();
                return;
            }
            boolean tooLarge = false;
            boolean endCheck = false;
            boolean bodyEnded = false;
            boolean announceGate = false;
            Runnable completion = null;
            DataStreamChannel toWake;
            synchronized (lock) {
                if (read > 0 && state != ReadState.FAILED && state != ReadState.CLOSED) {
                    // Appended even after onAllDataRead: these are the body's last bytes.
                    if (!blinded) {
                        buffer.put(scratch, 0, read);
                    }
                    received += read;
                    if (received > maxBody) {
                        // A chunked body has no declared length; stop at the limit, never read the rest.
                        tooLarge = true;
                    }
                }
                if (!tooLarge && failure == null) {
                    if (ended && (state == ReadState.READING || state == ReadState.PAUSED)) {
                        move(ReadState.CLIENT_ENDED);
                        bodyEnded = markWholeBodyRead();
                    } else if (state == ReadState.READING && !buffer.hasRemaining()) {
                        // The container calls onDataAvailable again only after isReady() said false;
                        // produce() resumes the reading itself once it has drained the buffer.
                        move(ReadState.PAUSED);
                    }
                }
                more = !tooLarge && failure == null && state == ReadState.READING && (!drained || readAgain);
                if (!more) {
                    reading = false;
                    endCheck = !tooLarge && failure == null && takeCheckEnd();
                    completion = afterRead;
                    afterRead = null;
                }
                if (!buffer.hasRemaining()) {
                    // The checks have not decided within a full buffer: stream on while they read (see the class comment).
                    bufferFilled = true;
                }
                announceGate = gateDue();
                buffered = buffer.position();
                endPending = state == ReadState.CLIENT_ENDED;
                toWake = channel;
            }
            if (completion != null) {
                // The exchange ended while this thread read: its completion ran out of our way (see closeThen).
                completion.run();
                return;
            }
            if (read > 0) {
                events.bodyRead(read);
            }
            if (bodyEnded) {
                events.bodyEnded();
            }
            if (tooLarge) {
                fail(Outcome.REQUEST_TOO_LARGE, null);
                return;
            }
            if (failure != null) {
                fail(outcomeOf(failure), new ClientGoneException(failure));
                return;
            }
            if (endCheck && !endChecks()) {
                return;
            }
            if (announceGate) {
                events.gateOpened();
            }
            if (toWake != null && (read > 0 || !more)) {
                toWake.requestOutput();
            }
        }
    }

    /** Leaves the read loop early; runs a completion that waited for it. */
    private void finishReading() {
        Runnable completion;
        synchronized (lock) {
            reading = false;
            completion = afterRead;
            afterRead = null;
        }
        if (completion != null) {
            completion.run();
        }
    }

    /** Under the lock: the whole body was read; true the first time. */
    private boolean markWholeBodyRead() {
        if (wholeBodyRead) {
            return false;
        }
        wholeBodyRead = true;
        return true;
    }

    /**
     * Whether the caller is the one to tell the model check that the body ended: once, and only when no
     * thread is still reading (a reader feeds the check the body's last bytes first). Under the lock.
     */
    private boolean takeCheckEnd() {
        if (modelCheck == null && fileCheck == null || checkEnded || reading || state != ReadState.CLIENT_ENDED) {
            return false;
        }
        checkEnded = true;
        return true;
    }

    /**
     * Acts on the model check's verdict: a refusal fails the body (false), an allowance opens the gate.
     * Called by the thread that fed the check, without the lock.
     */
    private boolean passCheck(ModelCheck.Verdict verdict) {
        if (verdict == ModelCheck.Verdict.REFUSED) {
            fail(Outcome.MODEL_REFUSED, modelCheck.refusal());
            return false;
        }
        if (verdict == ModelCheck.Verdict.ALLOWED) {
            boolean announce;
            DataStreamChannel toWake;
            synchronized (lock) {
                checksPassed = true;
                announce = gateDue();
                toWake = channel;
            }
            if (announce) {
                events.gateOpened();
            }
            if (toWake != null) {
                toWake.requestOutput();
            }
        }
        return true;
    }

    /** The body ended: both checks hear it, the file check first (its end may refuse a body cut off). */
    private boolean endChecks() {
        if (fileCheck != null && !checkFiles(fileCheck.end())) {
            return false;
        }
        return passCheck(modelCheck == null ? ModelCheck.Verdict.ALLOWED : modelCheck.end());
    }

    /**
     * Acts on what the file check read: a refusal it could make alone fails the body (false); files it
     * has not asked about yet hold everything back until their owners answer ({@link #ownersAnswered}).
     * Called by the reading thread, without the lock, before the bytes join the buffer.
     */
    private boolean checkFiles(java.util.List<String> named) {
        java.util.Optional<RequestRefusedException> refused = fileCheck.refusal();
        if (refused.isPresent()) {
            fail(Outcome.FILE_REFUSED, refused.get());
            return false;
        }
        if (fileCheck.blind() && !blinded) {
            // The check cannot see what follows (not JSON, a coding it cannot decode): nothing more goes up,
            // what is buffered is dropped, and the rest is read only to its end, where the body is refused.
            blinded = true;
            synchronized (lock) {
                ownersPending++;
                holding = true;
                buffer.clear();
                buffered = 0;
            }
        }
        if (!named.isEmpty()) {
            synchronized (lock) {
                ownersPending++;
                holding = true;
            }
            // The memory store answers at once, on this thread; Redis on the check's executor, off its own threads.
            fileCheck.owned(named).thenAccept(this::ownersAnswered);
        }
        return true;
    }

    /** The owner store answered for some of the files the body names: a refusal fails the body, else the hold lifts. */
    private void ownersAnswered(java.util.Optional<RequestRefusedException> refusal) {
        if (refusal.isPresent()) {
            fail(Outcome.FILE_REFUSED, refusal.get());
            return;
        }
        boolean announce;
        DataStreamChannel toWake;
        synchronized (lock) {
            ownersPending--;
            holding = ownersPending > 0;
            announce = gateDue();
            toWake = channel;
        }
        if (announce) {
            events.gateOpened();
        }
        if (toWake != null) {
            toWake.requestOutput();
        }
    }

    /**
     * Under the lock: opens the gate once the checks allow it (the body ended allowed, or the buffer
     * filled undecided) and no owner is being asked. True when the caller is the one to announce it.
     */
    private boolean gateDue() {
        if (!gateOpen && (checksPassed || bufferFilled) && ownersPending == 0 && state != ReadState.FAILED
                && state != ReadState.CLOSED) {
            gateOpen = true;
        }
        boolean announce = gateOpen && !gateAnnounced;
        gateAnnounced |= announce;
        return announce;
    }

    /** The body failed: tell the exchange once, and wake the upload so that it breaks off (see {@link #produce}). */
    private void fail(Outcome outcome, Throwable cause) {
        DataStreamChannel toWake;
        synchronized (lock) {
            if (state == ReadState.FAILED || state == ReadState.CLOSED || state == ReadState.ENDED) {
                return;
            }
            move(ReadState.FAILED);
            toWake = channel;
        }
        events.bodyFailed(outcome, cause);
        if (toWake != null) {
            toWake.requestOutput();
        }
    }

    /**
     * The exchange is over: stop reading, and run {@code completion} (which lets the container recycle
     * the request) once no thread is reading any more: now, or when the read in progress returns.
     * An upload still going up is woken so that it breaks off and its connection is discarded.
     */
    void closeThen(Runnable completion) {
        DataStreamChannel toWake = null;
        boolean now;
        synchronized (lock) {
            if (state != ReadState.CLOSED) {
                if (state != ReadState.ENDED) {
                    toWake = channel;
                }
                move(ReadState.CLOSED);
            }
            now = !reading;
            if (!now) {
                afterRead = completion;
            }
        }
        if (toWake != null) {
            toWake.requestOutput();
        }
        if (now) {
            completion.run();
        }
    }

    private void move(ReadState to) {
        boolean allowed = switch (state) {
            case READING -> to == ReadState.PAUSED || to == ReadState.CLIENT_ENDED || to == ReadState.FAILED
                    || to == ReadState.CLOSED;
            case PAUSED -> to == ReadState.READING || to == ReadState.CLIENT_ENDED || to == ReadState.FAILED
                    || to == ReadState.CLOSED;
            case CLIENT_ENDED -> to == ReadState.ENDED || to == ReadState.FAILED || to == ReadState.CLOSED;
            case ENDED, FAILED -> to == ReadState.CLOSED;
            case CLOSED -> false;
        };
        if (!allowed) {
            throw new IllegalStateException("request reader cannot move from " + state + " to " + to);
        }
        state = to;
    }

    /** A malformed body (Tomcat's parse error) is the client's mistake, not its absence. */
    private static Outcome outcomeOf(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof EOFException) {
                return Outcome.CLIENT_DISCONNECTED;
            }
            if (t.getClass().getName().equals(BAD_REQUEST)) {
                return Outcome.REQUEST_BODY_MALFORMED;
            }
        }
        return Outcome.CLIENT_DISCONNECTED;
    }

    // --- upstream side ------------------------------------------------------------------------

    @Override
    public void produce(DataStreamChannel upstream) throws IOException {
        boolean resume = false;
        boolean end = false;
        synchronized (lock) {
            channel = upstream;
            if (state == ReadState.FAILED || state == ReadState.CLOSED || events.isEnded()) {
                // The exchange failed (or ended) while the body was still going up: end the upload and
                // its connection. HttpClient cannot cancel an exchange on a fresh connection; this can.
                throw new CancelledExchangeException();
            }
            if (!gateOpen || ownersPending > 0) {
                // Shut: not reached through the exchange, which starts only once the gate is open. Holding:
                // an upload under way waits for the owners of files named in what is buffered (ownersAnswered wakes it).
                return;
            }
            if (buffer.position() > 0) {
                buffer.flip();
                upstream.write(buffer);
                buffer.compact();
                buffered = buffer.position();
            }
            if (state == ReadState.PAUSED && buffer.hasRemaining()) {
                move(ReadState.READING);
                resume = true;
            } else if (state == ReadState.CLIENT_ENDED && buffer.position() == 0 && !reading) {
                move(ReadState.ENDED);
                endPending = false;
                end = true;
            }
        }
        if (end) {
            upstream.endStream();
        } else if (resume) {
            // Safe on the reactor thread: reads are non-blocking, the reading flag keeps the container
            // out, and the exchange's completion waits for this read (closeThen).
            pump();
        }
    }

    @Override
    public int available() {
        if (holding) {
            // Nothing to write until the owners answer: HttpClient stops asking until requestOutput().
            return 0;
        }
        int bytes = buffered;
        return bytes > 0 ? bytes : endPending ? 1 : 0;
    }

    @Override
    public long getContentLength() {
        return contentLength;
    }

    @Override
    public boolean isChunked() {
        return contentLength < 0;
    }

    @Override
    public String getContentType() {
        // The client's Content-Type header is copied as it is.
        return null;
    }

    @Override
    public String getContentEncoding() {
        return null;
    }

    @Override
    public Set<String> getTrailerNames() {
        return null;
    }

    @Override
    public boolean isRepeatable() {
        return false;
    }

    @Override
    public void failed(Exception cause) {
        // The exchange hears about upstream failures from the response side.
    }

    @Override
    public void releaseResources() {
        // The buffer goes with the exchange.
    }
}
