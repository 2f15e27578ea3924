package dev.creddy.anthropic.forward;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.Set;
import org.apache.hc.core5.http.nio.AsyncEntityProducer;
import org.apache.hc.core5.http.nio.DataStreamChannel;

/**
 * Streams the client's request body to the upstream: a servlet {@link ReadListener} on one side, an
 * HttpClient {@link AsyncEntityProducer} on the other, and one small buffer between them.
 *
 * <p>Back-pressure: the pump reads from the client only while the buffer has room. When it is full
 * the pump stops reading (so the container stops calling {@code onDataAvailable}) until
 * {@link #produce} has handed bytes to the upstream connection, and then resumes reading itself.
 * Memory per exchange is bounded by the buffer, whatever the body's size.
 *
 * <p>Thread-safety: {@link #pump} runs on container threads ({@code onDataAvailable}) and on the
 * reactor thread (resuming after {@code produce}); the {@code reading} flag lets exactly one of them
 * read at a time, and one that arrives meanwhile makes it read once more. Nothing foreign is called
 * while the lock is held, the container's input stream included: when the reactor thread reads the
 * body's last bytes, Tomcat dispatches {@code onAllDataRead} to a container thread that holds the
 * connection's lock and then takes this one, so a reader calling into Tomcat under this lock would
 * deadlock with it (and stall every connection of that reactor thread).
 *
 * <p>Model allowlist: for a token that may only call some models, a {@link ModelCheck} reads the body as
 * it arrives, and nothing goes up until it has decided or the buffer is full, so a refused model never
 * reaches the upstream in a body of up to 64 KB. A body whose model comes later (the Python SDK writes
 * {@code model} after {@code messages}) streams on while the check goes on reading; a refusal then
 * breaks the upload before its end, so the upstream never receives a whole request.
 */
final class RequestBodyPump implements AsyncEntityProducer, ReadListener {

    static final int BUFFER_SIZE = 64 * 1024;
    private static final int SCRATCH_SIZE = 16 * 1024;

    private static final Set<String> METHODS_WITH_BODY = Set.of("POST", "PUT", "PATCH");

    /** The reading side's state; transitions are checked. */
    private enum State {
        /** Reading from the client whenever it has data. */
        READING,
        /** The buffer is full: waiting for the upstream to take bytes. */
        PAUSED,
        /** The client sent its last byte; what is buffered still goes up. */
        CLIENT_ENDED,
        /** The end of the body went to the upstream. */
        ENDED,
        /** The client leg broke. */
        FAILED
    }

    private final Exchange exchange;
    private final ServletInputStream clientBody;
    private final long contentLength;
    private final long maxBody;
    /** Reads the body's model for the allowlist; null when the token has none. Used only by the reading thread. */
    private final ModelCheck modelCheck;
    private long received;
    private final Object lock = new Object();
    private final ByteBuffer buffer;
    /** Where a read lands before it joins the buffer: reads run without the lock, produce() may move the buffer. */
    private final byte[] scratch;

    private State state = State.READING;
    /** A thread is in {@link #pump}'s read loop; the end of the body waits for it. */
    private boolean reading;
    /** The container had more while a thread was reading: that thread reads once more. */
    private boolean readAgain;
    private DataStreamChannel channel;
    private volatile int buffered;
    /** The client's body ended but the upstream has not been told; makes {@link #available} ask for one more produce(). */
    private volatile boolean endPending;
    /** Bytes may go up: no model check, or it decided, or the buffer filled while it reads on. */
    private volatile boolean gateOpen;
    /** The model check heard the end of the body (once, from whichever thread saw the end last). */
    private boolean checkEnded;

    private RequestBodyPump(Exchange exchange, ServletInputStream clientBody, long contentLength, long maxBody,
            ModelCheck modelCheck) {
        this.exchange = exchange;
        this.clientBody = clientBody;
        this.contentLength = contentLength;
        this.maxBody = maxBody;
        this.modelCheck = modelCheck;
        this.gateOpen = modelCheck == null;
        // A body of known size needs no more room than itself: most requests are a few KB.
        this.buffer = ByteBuffer.allocate((int) (contentLength >= 0 ? Math.max(1, Math.min(BUFFER_SIZE, contentLength))
                : BUFFER_SIZE));
        this.scratch = new byte[Math.min(SCRATCH_SIZE, buffer.capacity())];
    }

    /**
     * A pump for the client's body, or null when the request has none.
     *
     * @param modelCheck what reads the body's model for the token's allowlist, or null
     */
    static RequestBodyPump forRequest(Exchange exchange, HttpServletRequest clientRequest, long maxBody,
            ModelCheck modelCheck) throws IOException {
        long length = clientRequest.getContentLengthLong();
        boolean chunked = clientRequest.getHeader("transfer-encoding") != null;
        if (length < 0 && !chunked) {
            // No framing means no body (RFC 9112 §6.3); POST and friends still get an explicit empty one.
            length = METHODS_WITH_BODY.contains(clientRequest.getMethod().toUpperCase(Locale.ROOT)) ? 0 : -1;
            if (length < 0) {
                return null;
            }
        }
        return new RequestBodyPump(exchange, clientRequest.getInputStream(), chunked ? -1 : length, maxBody, modelCheck);
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
        synchronized (lock) {
            if (state == State.READING || state == State.PAUSED) {
                state = State.CLIENT_ENDED;
                endPending = true;
            }
            endCheck = takeCheckEnd();
            toWake = channel;
        }
        if (endCheck && !passCheck(modelCheck.end())) {
            return;
        }
        if (toWake != null) {
            toWake.requestOutput();
        }
    }

    /**
     * Whether the caller is the one to tell the model check that the body ended: once, and only when no
     * thread is still reading (a reader feeds the check the body's last bytes first). Under the lock.
     */
    private boolean takeCheckEnd() {
        if (modelCheck == null || checkEnded || reading || state != State.CLIENT_ENDED) {
            return false;
        }
        checkEnded = true;
        return true;
    }

    /**
     * Acts on the model check's verdict: a refusal fails the exchange (false), a decision opens the
     * gate. Called by the thread that fed the check, without the lock.
     */
    private boolean passCheck(ModelCheck.Verdict verdict) {
        if (verdict == ModelCheck.Verdict.REFUSED) {
            synchronized (lock) {
                state = State.FAILED;
            }
            exchange.fail(FailureKind.MODEL_REFUSED, modelCheck.refusal());
            return false;
        }
        if (verdict == ModelCheck.Verdict.ALLOWED) {
            gateOpen = true;
        }
        return true;
    }

    @Override
    public void onError(Throwable failure) {
        synchronized (lock) {
            state = State.FAILED;
        }
        exchange.fail(FailureKind.CLIENT_GONE, new ClientGoneException(failure));
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
            if (state != State.READING) {
                return;
            }
            reading = true;
        }
        boolean more = true;
        while (more) {
            int room;
            synchronized (lock) {
                readAgain = false;
                room = state == State.READING ? buffer.remaining() : 0;
            }
            int read = 0;
            boolean ended = false;
            boolean drained = false;
            IOException failure = null;
            boolean recycled = false;
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
                } catch (IllegalStateException | NullPointerException e) {
                    // The exchange completed (the upstream answered early) and the container recycled the
                    // stream: the rest of the body has nowhere to go.
                    recycled = true;
                }
            }
            if (read > 0 && modelCheck != null && !passCheck(modelCheck.read(scratch, 0, read))) {
                synchronized (lock) {
                    reading = false;
                }
                return;
            }
            boolean tooLarge = false;
            boolean endCheck = false;
            DataStreamChannel toWake;
            synchronized (lock) {
                if (read > 0 && state != State.FAILED) {
                    // Appended even after onAllDataRead: these are the body's last bytes.
                    buffer.put(scratch, 0, read);
                    received += read;
                    if (received > maxBody) {
                        // A chunked body has no declared length; stop at the limit, never read the rest.
                        state = State.FAILED;
                        tooLarge = true;
                    }
                }
                if (failure != null || recycled) {
                    state = State.FAILED;
                } else if (ended && (state == State.READING || state == State.PAUSED)) {
                    state = State.CLIENT_ENDED;
                } else if (state == State.READING && !buffer.hasRemaining()) {
                    // The container calls onDataAvailable again only after isReady() said false;
                    // produce() resumes the reading itself once it has drained the buffer.
                    state = State.PAUSED;
                }
                more = state == State.READING && (!drained || readAgain);
                if (!more) {
                    reading = false;
                    endCheck = takeCheckEnd();
                }
                if (!gateOpen && !buffer.hasRemaining()) {
                    // The check has not decided within a full buffer: stream on while it reads (see the class comment).
                    gateOpen = true;
                }
                buffered = buffer.position();
                endPending = state == State.CLIENT_ENDED;
                toWake = channel;
            }
            if (read > 0) {
                exchange.requestBodyRead(read);
            }
            if (tooLarge) {
                exchange.fail(FailureKind.REQUEST_TOO_LARGE, null);
                return;
            }
            if (failure != null) {
                exchange.fail(FailureKind.CLIENT_GONE, new ClientGoneException(failure));
                return;
            }
            if (endCheck && !passCheck(modelCheck.end())) {
                return;
            }
            if (toWake != null && (read > 0 || !more)) {
                toWake.requestOutput();
            }
        }
    }

    // --- upstream side ------------------------------------------------------------------------

    @Override
    public void produce(DataStreamChannel upstream) throws IOException {
        if (exchange.isFinished()) {
            // The exchange failed while the body was still going up: end the upload and its connection.
            throw new CancelledExchangeException();
        }
        boolean resume = false;
        boolean end = false;
        synchronized (lock) {
            channel = upstream;
            if (!gateOpen) {
                // The model check has not decided: nothing goes up yet; opening the gate asks for output again.
                return;
            }
            if (buffer.position() > 0) {
                buffer.flip();
                upstream.write(buffer);
                buffer.compact();
                buffered = buffer.position();
            }
            if (state == State.PAUSED && buffer.hasRemaining()) {
                state = State.READING;
                resume = true;
            } else if (state == State.CLIENT_ENDED && buffer.position() == 0 && !reading) {
                state = State.ENDED;
                endPending = false;
                end = true;
            }
        }
        if (end) {
            upstream.endStream();
        } else if (resume) {
            // Safe on the reactor thread: reads are non-blocking and the reading flag keeps the container out.
            pump();
        }
    }

    @Override
    public int available() {
        if (!gateOpen) {
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
        // The exchange's error exit hears about upstream failures from the response side.
    }

    @Override
    public void releaseResources() {
        // The buffer goes with the exchange.
    }
}
