package dev.creddy.anthropic.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.HdrHistogram.Histogram;

/**
 * Many SSE streams from one selector thread: opens {@code count} connections (at most
 * {@code maxOpening} still waiting for their response head at a time, so a burst of connects does
 * not overflow the server's accept queue), sends one streaming request on each and reads every
 * event. Each text delta carries the upstream's {@code System.nanoTime()} of its writing
 * ({@code "@<nanos>"}); its delay is the arrival time minus that. A stream is complete when its
 * status was 200, it carried {@code message_stop} and its body ended properly.
 *
 * <p>Thread-safety: the selector thread owns the connections; the counters callers poll are
 * read under the instance's lock.
 */
final class SseStreams implements AutoCloseable {

    private static final byte[] MESSAGE_STOP = ResponseReader.ascii("message_stop");

    private final InetSocketAddress target;
    private final byte[] request;
    private final int count;
    private final int maxOpening;
    private final Selector selector;
    private final Histogram delays = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
    private final Map<String, Integer> failures = new TreeMap<>();
    private final Thread loop;
    private volatile boolean stopping;

    private int started;
    private int opening;
    private int open;
    private int completed;
    private int failed;
    private long events;

    SseStreams(InetSocketAddress target, byte[] request, int count, int maxOpening) throws IOException {
        this.target = target;
        this.request = request;
        this.count = count;
        this.maxOpening = maxOpening;
        this.selector = Selector.open();
        this.loop = new Thread(this::run, "sse-streams");
        loop.setDaemon(true);
    }

    SseStreams start() {
        loop.start();
        return this;
    }

    /** Waits until every stream has its response head (or has failed); true when all are open. */
    boolean awaitOpen(long timeoutNanos) throws InterruptedException {
        if (!awaitEvery(() -> open + failed, timeoutNanos)) {
            return false;
        }
        synchronized (this) {
            return failed == 0;
        }
    }

    /** Waits until every stream has ended, completed or failed. */
    boolean awaitDone(long timeoutNanos) throws InterruptedException {
        return awaitEvery(() -> completed + failed, timeoutNanos);
    }

    /** Polls {@code settled} (read under the lock) until it reaches the stream count or the time is up. */
    private boolean awaitEvery(IntSupplier settled, long timeoutNanos) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutNanos;
        while (System.nanoTime() < deadline) {
            synchronized (this) {
                if (settled.getAsInt() >= count) {
                    return true;
                }
            }
            Thread.sleep(20);
        }
        return false;
    }

    synchronized int open() {
        return open;
    }

    synchronized int completed() {
        return completed;
    }

    synchronized int failed() {
        return failed + (count - completed - failed);
    }

    synchronized long events() {
        return events;
    }

    synchronized Histogram delays() {
        return delays.copy();
    }

    synchronized Map<String, Integer> failures() {
        Map<String, Integer> all = new TreeMap<>(failures);
        int unfinished = count - completed - failed;
        if (unfinished > 0) {
            all.merge("unfinished", unfinished, Integer::sum);
        }
        return all;
    }

    @Override
    public void close() throws IOException, InterruptedException {
        stopping = true;
        selector.wakeup();
        loop.join(10_000);
        for (SelectionKey key : selector.keys()) {
            key.channel().close();
        }
        selector.close();
    }

    /** One stream. */
    private final class Stream implements ResponseReader.BodySink {
        final SocketChannel channel;
        final ByteBuffer in = ByteBuffer.allocate(8 * 1024);
        final ResponseReader reader = new ResponseReader(this);
        boolean headSeen;
        int stopMatched;
        boolean sawStop;
        boolean inStamp;
        long stamp;
        long arrival;
        int myEvents;

        Stream(SocketChannel channel) {
            this.channel = channel;
        }

        @Override
        public void body(byte[] array, int from, int to) {
            for (int i = from; i < to; i++) {
                byte b = array[i];
                if (inStamp) {
                    if (b >= '0' && b <= '9') {
                        stamp = stamp * 10 + (b - '0');
                        continue;
                    }
                    inStamp = false;
                    myEvents++;
                    synchronized (SseStreams.this) {
                        delays.recordValue(Math.max(0, Math.min(arrival - stamp, delays.getHighestTrackableValue())));
                        events++;
                    }
                }
                if (b == '@') {
                    inStamp = true;
                    stamp = 0;
                }
                if (!sawStop) {
                    stopMatched = b == MESSAGE_STOP[stopMatched] ? stopMatched + 1 : b == MESSAGE_STOP[0] ? 1 : 0;
                    sawStop = stopMatched == MESSAGE_STOP.length;
                }
            }
        }
    }

    private void run() {
        try {
            while (!stopping) {
                openMore();
                selector.select(50);
                Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
                while (keys.hasNext()) {
                    SelectionKey key = keys.next();
                    keys.remove();
                    Stream stream = (Stream) key.attachment();
                    try {
                        if (key.isConnectable()) {
                            stream.channel.finishConnect();
                            ByteBuffer out = ByteBuffer.wrap(request);
                            while (out.hasRemaining()) {
                                stream.channel.write(out);
                            }
                            key.interestOps(SelectionKey.OP_READ);
                        } else if (key.isReadable()) {
                            read(key, stream);
                        }
                    } catch (IOException | RuntimeException e) {
                        end(key, stream, e.getClass().getSimpleName());
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("SSE client failed", e);
        }
    }

    private void openMore() throws IOException {
        while (true) {
            synchronized (this) {
                if (started >= count || opening >= maxOpening) {
                    return;
                }
                started++;
                opening++;
            }
            SocketChannel channel = SocketChannel.open();
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            Stream stream = new Stream(channel);
            if (channel.connect(target)) {
                channel.write(ByteBuffer.wrap(request));
                channel.register(selector, SelectionKey.OP_READ, stream);
            } else {
                channel.register(selector, SelectionKey.OP_CONNECT, stream);
            }
        }
    }

    private void read(SelectionKey key, Stream stream) throws IOException {
        int n = stream.channel.read(stream.in);
        stream.arrival = System.nanoTime();
        if (n < 0) {
            end(key, stream, stream.headSeen ? "closed mid-stream" : "closed before the head");
            return;
        }
        stream.in.flip();
        boolean done = stream.reader.feed(stream.in);
        stream.in.compact();
        if (!stream.headSeen && stream.reader.headDone()) {
            stream.headSeen = true;
            synchronized (this) {
                opening--;
                if (stream.reader.status() == 200) {
                    open++;
                }
            }
            if (stream.reader.status() != 200) {
                end(key, stream, "status " + stream.reader.status());
                return;
            }
        }
        if (done) {
            end(key, stream, stream.sawStop ? null : "ended without message_stop");
        }
    }

    private void end(SelectionKey key, Stream stream, String failure) {
        key.cancel();
        try {
            stream.channel.close();
        } catch (IOException e) {
            // Closing anyway.
        }
        synchronized (this) {
            if (!stream.headSeen) {
                opening--;
            }
            if (failure == null) {
                completed++;
            } else {
                failed++;
                failures.merge(failure, 1, Integer::sum);
            }
        }
    }
}
