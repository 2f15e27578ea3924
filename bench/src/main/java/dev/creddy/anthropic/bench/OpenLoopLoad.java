package dev.creddy.anthropic.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * An open-loop load generator in the manner of wrk2: request {@code i} is due at
 * {@code start + i / rate} whatever happened to the ones before, and its latency is measured from
 * that intended time, so a stalled server is charged for every request it held back (no
 * coordinated omission). HTTP/1.1 keep-alive over a fixed set of connections, one request in flight
 * per connection; a due request waits for a free connection, and the wait counts.
 *
 * <p>Two threads: the caller's sends on time (parking between requests), a reader thread parses
 * responses and sends any overdue request on the connection it just freed. A connection belongs to
 * whichever thread took it from the idle queue, so no two threads ever write to one socket.
 */
final class OpenLoopLoad {

    /** What one run measured. Latencies in nanoseconds, from each request's intended start. */
    record Result(int rate, long due, long completed, long errors, double seconds, Histogram latency) {
        double achievedRps() {
            return completed / seconds;
        }
    }

    private final InetSocketAddress target;
    private final byte[] request;
    private final int connections;

    OpenLoopLoad(InetSocketAddress target, byte[] request, int connections) {
        this.target = target;
        this.request = request;
        this.connections = connections;
    }

    Result run(int rate, long durationNanos) throws IOException, InterruptedException {
        return new Run(rate, durationNanos).execute();
    }

    private final class Conn {
        final SocketChannel channel;
        final ByteBuffer in = ByteBuffer.allocate(16 * 1024);
        final ResponseReader reader = new ResponseReader(null);
        volatile long intended;
        volatile boolean inFlight;
        /** Replaced already, because the server announced it would close it. */
        boolean retired;

        Conn(SocketChannel channel) {
            this.channel = channel;
        }
    }

    private final class Run {
        final int rate;
        final long total;
        final double intervalNanos;
        final ConcurrentLinkedQueue<Conn> idle = new ConcurrentLinkedQueue<>();
        final AtomicLong next = new AtomicLong();
        final Histogram latency = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        final List<Conn> all = new ArrayList<>();
        final Selector selector = Selector.open();
        volatile boolean stopping;
        long start;
        long completed;
        long errors;
        long lastCompletion;

        Run(int rate, long durationNanos) throws IOException {
            this.rate = rate;
            this.total = Math.max(1, (long) (rate * (durationNanos / 1e9)));
            this.intervalNanos = 1e9 / rate;
        }

        Result execute() throws IOException, InterruptedException {
            for (int i = 0; i < connections; i++) {
                idle.add(connect());
            }
            start = System.nanoTime() + 1_000_000;
            Thread reader = new Thread(this::readLoop, "open-loop-reader");
            reader.setDaemon(true);
            reader.start();
            while (next.get() < total) {
                dispatchDue();
                long due = start + (long) (next.get() * intervalNanos);
                long wait = due - System.nanoTime();
                // A due request with no free connection: look again shortly (a freed one is also used by the reader).
                LockSupport.parkNanos(wait > 0 ? wait : 50_000);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < deadline && completedSoFar() + errorsSoFar() < total) {
                Thread.sleep(5);
            }
            stopping = true;
            selector.wakeup();
            reader.join(5000);
            synchronized (this) {
                for (Conn conn : all) {
                    conn.channel.close();
                }
            }
            selector.close();
            synchronized (this) {
                long lost = total - completed - errors;
                return new Result(rate, total, completed, errors + lost, (lastCompletion - start) / 1e9, latency);
            }
        }

        /**
         * A new keep-alive connection. Servers close connections after so many requests (Tomcat's
         * maxKeepAliveRequests, nginx's keepalive_requests); the reader replaces them as wrk does.
         */
        private Conn connect() throws IOException {
            SocketChannel channel = SocketChannel.open(target);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            channel.configureBlocking(false);
            Conn conn = new Conn(channel);
            channel.register(selector, SelectionKey.OP_READ, conn);
            synchronized (this) {
                all.add(conn);
            }
            return conn;
        }

        private synchronized long completedSoFar() {
            return completed;
        }

        private synchronized long errorsSoFar() {
            return errors;
        }

        /** Sends every request that is due, while there are free connections. Called by both threads. */
        void dispatchDue() {
            while (true) {
                long i = next.get();
                if (i >= total) {
                    return;
                }
                long due = start + (long) (i * intervalNanos);
                if (due > System.nanoTime()) {
                    return;
                }
                Conn conn = idle.poll();
                if (conn == null) {
                    return;
                }
                if (!next.compareAndSet(i, i + 1)) {
                    idle.add(conn);
                    continue;
                }
                send(conn, due);
            }
        }

        private void send(Conn conn, long due) {
            conn.intended = due;
            conn.inFlight = true;
            ByteBuffer out = ByteBuffer.wrap(request);
            try {
                while (out.hasRemaining()) {
                    conn.channel.write(out);
                }
            } catch (IOException e) {
                synchronized (this) {
                    errors++;
                }
            }
        }

        private void readLoop() {
            try {
                while (!stopping) {
                    selector.select(100);
                    Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
                    while (keys.hasNext()) {
                        SelectionKey key = keys.next();
                        keys.remove();
                        Conn conn = (Conn) key.attachment();
                        int n;
                        try {
                            n = conn.channel.read(conn.in);
                        } catch (IOException e) {
                            n = -1;
                        }
                        if (n < 0) {
                            key.cancel();
                            conn.channel.close();
                            if (conn.inFlight) {
                                synchronized (this) {
                                    errors++;
                                }
                            }
                            if (!stopping && !conn.retired) {
                                idle.add(connect());
                                dispatchDue();
                            }
                            continue;
                        }
                        conn.in.flip();
                        while (conn.in.hasRemaining() && conn.reader.feed(conn.in)) {
                            long now = System.nanoTime();
                            int status = conn.reader.status();
                            boolean closing = conn.reader.closing();
                            conn.reader.reset();
                            conn.inFlight = false;
                            synchronized (this) {
                                if (status == 200) {
                                    completed++;
                                    latency.recordValue(Math.min(now - conn.intended, latency.getHighestTrackableValue()));
                                } else {
                                    errors++;
                                }
                                lastCompletion = now;
                            }
                            if (closing) {
                                // Not reused: the server is closing it; its end arrives as a read of -1.
                                conn.retired = true;
                                idle.add(connect());
                            } else {
                                idle.add(conn);
                            }
                            dispatchDue();
                        }
                        conn.in.compact();
                    }
                }
            } catch (IOException e) {
                throw new IllegalStateException("open-loop reader failed", e);
            }
        }
    }
}
