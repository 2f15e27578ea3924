package dev.creddy.anthropic.forward;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hc.core5.http.nio.CapacityChannel;
import org.apache.hc.core5.http.nio.DataStreamChannel;

/**
 * Fakes of the four narrow seams the reader and the writer talk through: the container's streams and
 * HttpClient's channels. Each records what was done to it and lets a test decide what it answers.
 */
final class Fakes {

    private Fakes() {
    }

    /** A client body the test hands out chunk by chunk; {@code ready} says whether a read would not block. */
    static final class Input extends ServletInputStream {
        final ArrayDeque<byte[]> chunks = new ArrayDeque<>();
        volatile boolean ended;
        volatile IOException failure;
        /** When set, a read waits for it: a read in progress on another thread. */
        volatile CountDownLatch readGate;
        final CountDownLatch readEntered = new CountDownLatch(1);
        final AtomicInteger reads = new AtomicInteger();
        ReadListener listener;

        synchronized Input add(byte[] chunk) {
            chunks.add(chunk);
            return this;
        }

        @Override
        public synchronized boolean isFinished() {
            return ended && chunks.isEmpty();
        }

        @Override
        public synchronized boolean isReady() {
            return !chunks.isEmpty() || failure != null;
        }

        @Override
        public void setReadListener(ReadListener readListener) {
            listener = readListener;
        }

        @Override
        public int read() {
            throw new UnsupportedOperationException("the reader reads in blocks");
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            reads.incrementAndGet();
            readEntered.countDown();
            CountDownLatch gate = readGate;
            if (gate != null) {
                try {
                    gate.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            synchronized (this) {
                if (failure != null) {
                    throw failure;
                }
                byte[] head = chunks.poll();
                if (head == null) {
                    return ended ? -1 : 0;
                }
                int n = Math.min(len, head.length);
                System.arraycopy(head, 0, b, off, n);
                if (n < head.length) {
                    byte[] rest = new byte[head.length - n];
                    System.arraycopy(head, n, rest, 0, rest.length);
                    chunks.addFirst(rest);
                }
                return n;
            }
        }
    }

    /** The client's output: {@code ready} decides whether a write would be accepted at once. */
    static final class Output extends ServletOutputStream {
        final ByteArrayOutputStream written = new ByteArrayOutputStream();
        volatile boolean ready = true;
        volatile IOException failure;
        final AtomicInteger flushes = new AtomicInteger();
        /** The response buffer the leg reports; the writes' sizes, in order. */
        volatile int bufferSize = 8192;
        final List<Integer> writes = new CopyOnWriteArrayList<>();
        WriteListener listener;

        @Override
        public boolean isReady() {
            return ready;
        }

        @Override
        public void setWriteListener(WriteListener writeListener) {
            listener = writeListener;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            if (failure != null) {
                throw failure;
            }
            if (!ready) {
                throw new IllegalStateException("write while not ready");
            }
            written.write(b, off, len);
            writes.add(len);
            if (len > bufferSize) {
                // As Tomcat: bytes past its response buffer wait in its socket buffer for its poller.
                ready = false;
            }
        }

        @Override
        public void flush() throws IOException {
            if (failure != null) {
                throw failure;
            }
            if (!ready) {
                throw new IllegalStateException("flush while not ready");
            }
            flushes.incrementAndGet();
        }

        synchronized String text() {
            return written.toString(java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    /** The upstream's capacity channel: sums what the writer credits. */
    static final class Capacity implements CapacityChannel {
        final AtomicInteger credited = new AtomicInteger();

        @Override
        public void update(int increment) {
            credited.addAndGet(increment);
        }
    }

    /** The upstream request's channel: takes up to {@code window} bytes per write. */
    static final class Upstream implements DataStreamChannel {
        final ByteArrayOutputStream sent = new ByteArrayOutputStream();
        volatile int window = Integer.MAX_VALUE;
        volatile boolean ended;
        final AtomicInteger outputRequests = new AtomicInteger();

        @Override
        public void requestOutput() {
            outputRequests.incrementAndGet();
        }

        @Override
        public synchronized int write(ByteBuffer src) {
            int n = Math.min(window, src.remaining());
            byte[] bytes = new byte[n];
            src.get(bytes);
            sent.write(bytes, 0, n);
            return n;
        }

        @Override
        public void endStream() {
            ended = true;
        }

        @Override
        public void endStream(List<? extends org.apache.hc.core5.http.Header> trailers) {
            ended = true;
        }

        synchronized int size() {
            return sent.size();
        }
    }

    /** The client leg: records the head and the end, and fails any touch after the writer released it. */
    static final class Leg implements ClientResponseWriter.ClientLeg {
        final Output output = new Output();
        final Map<String, List<String>> headers = new LinkedHashMap<>();
        volatile int status;
        volatile long contentLength = -1;
        final AtomicInteger completes = new AtomicInteger();
        final AtomicInteger aborts = new AtomicInteger();
        /** When set, setting the status waits for it: a head being written while another thread acts. */
        volatile CountDownLatch statusGate;
        final CountDownLatch statusEntered = new CountDownLatch(1);
        volatile boolean released;

        private void touch() {
            if (released) {
                throw new AssertionError("the client response was touched after it was released");
            }
        }

        @Override
        public ServletOutputStream output() {
            touch();
            return output;
        }

        @Override
        public int bufferSize() {
            return output.bufferSize;
        }

        @Override
        public void status(int code) {
            touch();
            statusEntered.countDown();
            CountDownLatch gate = statusGate;
            if (gate != null) {
                try {
                    gate.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            status = code;
        }

        @Override
        public synchronized void addHeader(String name, String value) {
            touch();
            headers.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
        }

        @Override
        public synchronized void setHeader(String name, String value) {
            touch();
            headers.put(name, new ArrayList<>(List.of(value)));
        }

        @Override
        public void contentLength(long length) {
            touch();
            contentLength = length;
        }

        @Override
        public void contentType(String type) {
            setHeader("Content-Type", type);
        }

        @Override
        public void complete() {
            touch();
            released = true;
            completes.incrementAndGet();
        }

        @Override
        public void abort() {
            touch();
            released = true;
            aborts.incrementAndGet();
        }

        synchronized String header(String name) {
            List<String> values = headers.get(name);
            return values == null ? null : String.join(", ", values);
        }
    }
}
