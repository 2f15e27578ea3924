package dev.creddy.anthropic.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.PriorityQueue;

/**
 * The benchmarks' fake Anthropic API: one selector thread, canned answers, no copy of body bytes, so
 * that it is never what limits a run (its direct numbers in the results show how far it goes).
 *
 * <p>Routes by query parameter, on any path under {@code /v1/}:
 * <ul>
 * <li>none: Anthropic's JSON message, with {@code Content-Length};</li>
 * <li>{@code events=N&gap_ms=G}: an SSE message whose N text deltas leave G ms apart, each carrying
 *     the upstream's {@code System.nanoTime()} at the moment of writing as {@code "text":"@<nanos>"}
 *     (the monotonic clock is shared by every process of the machine, so a client can compute each
 *     event's delay);</li>
 * <li>{@code hold=1&gap_ms=G}: the same, with deltas until {@code POST /bench/release} (or 120 s);</li>
 * <li>{@code bytes=N}: an N-byte body with {@code Content-Length};</li>
 * <li>{@code count=1}: answers {@code {"received_bytes":N}} after reading the request body;</li>
 * <li>{@code stall_after=B&stall_ms=M}: stops reading the request body for M ms after B bytes.</li>
 * </ul>
 * Every request must carry exactly one {@code x-api-key}, equal to the real key; anything else gets
 * Anthropic's 401, so a run through a proxy that failed to swap the key shows up as errors.
 *
 * <p>Thread-confined: everything runs on the selector thread. Exits when its standard input closes,
 * so it never outlives the benchmark that started it.
 */
public final class FakeUpstream {

    private static final byte[] CRLF = {'\r', '\n'};
    static final String MESSAGE = "{\"id\":\"msg_bench_01\",\"type\":\"message\",\"role\":\"assistant\","
            + "\"model\":\"claude-sonnet-4-5\",\"content\":[{\"type\":\"text\",\"text\":\"Hello from the bench\"}],"
            + "\"stop_reason\":\"end_turn\",\"stop_sequence\":null,\"usage\":{\"input_tokens\":12,"
            + "\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":6}}";
    private static final byte[] MESSAGE_RESPONSE = ascii("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            + "request-id: req_bench_01\r\ncontent-length: " + MESSAGE.length() + "\r\n\r\n" + MESSAGE);
    private static final String UNAUTHORIZED = "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\","
            + "\"message\":\"invalid x-api-key\"},\"request_id\":\"req_bench_401\"}";
    private static final byte[] UNAUTHORIZED_RESPONSE = ascii("HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\n"
            + "content-length: " + UNAUTHORIZED.length() + "\r\n\r\n" + UNAUTHORIZED);
    /** The answer to {@code POST /v1/files}: a proxy records the file as its creator's before it lets anyone download it. */
    static final String FILE = "{\"id\":\"file_bench\",\"type\":\"file\",\"filename\":\"bench.bin\","
            + "\"mime_type\":\"application/octet-stream\",\"size_bytes\":33554432,\"created_at\":\"2026-01-01T00:00:00Z\","
            + "\"downloadable\":true}";
    private static final byte[] FILE_RESPONSE = ascii("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            + "content-length: " + FILE.length() + "\r\n\r\n" + FILE);
    private static final byte[] RELEASED_RESPONSE = ascii("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            + "content-length: 15\r\n\r\n{\"released\":1}\n");
    private static final byte[] SSE_HEAD = ascii("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n"
            + "cache-control: no-cache\r\nrequest-id: req_bench_sse\r\ntransfer-encoding: chunked\r\n\r\n");
    private static final byte[] SSE_START = chunk(ascii("event: message_start\ndata: {\"type\":\"message_start\","
            + "\"message\":{\"id\":\"msg_bench_sse\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],"
            + "\"model\":\"claude-sonnet-4-5\",\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":12,"
            + "\"output_tokens\":1}}}\n\nevent: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
            + "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"));
    private static final byte[] SSE_END = concat(chunk(ascii("event: content_block_stop\ndata: {\"type\":"
            + "\"content_block_stop\",\"index\":0}\n\nevent: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":"
            + "{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":100}}\n\n"
            + "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")), ascii("0\r\n\r\n"));
    private static final String DELTA_PREFIX = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\","
            + "\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"@";
    private static final String DELTA_SUFFIX = "\"}}\n\n";
    private static final long HOLD_LIMIT_NANOS = 120_000_000_000L;
    /** The bytes every download is cut from. */
    private static final ByteBuffer FILLER = filler();

    private final String realKey;
    private final Selector selector;
    private final ServerSocketChannel server;
    private final PriorityQueue<Timer> timers = new PriorityQueue<>();
    private long releaseEpoch;

    private FakeUpstream(String realKey, int port) throws IOException {
        this.realKey = realKey;
        selector = Selector.open();
        server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 8192);
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT);
    }

    /** {@code FakeUpstream --key REAL_KEY [--port N]}; prints its port, then serves until stdin closes. */
    public static void main(String[] args) throws IOException {
        String key = null;
        int port = 0;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--key" -> key = args[++i];
                case "--port" -> port = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (key == null) {
            throw new IllegalArgumentException("--key is required");
        }
        FakeUpstream upstream = new FakeUpstream(key, port);
        exitWhenStdinCloses();
        System.out.println("fake-upstream listening on 127.0.0.1:" + upstream.port());
        System.out.flush();
        upstream.serve();
    }

    private static void exitWhenStdinCloses() {
        Thread watcher = new Thread(() -> {
            try (InputStream in = System.in) {
                while (in.read() >= 0) {
                    // Only the end matters.
                }
            } catch (IOException e) {
                // Treated as closed.
            }
            System.exit(0);
        }, "stdin-watcher");
        watcher.setDaemon(true);
        watcher.start();
    }

    private int port() throws IOException {
        return ((InetSocketAddress) server.getLocalAddress()).getPort();
    }

    private void serve() throws IOException {
        while (true) {
            long now = System.nanoTime();
            while (!timers.isEmpty() && timers.peek().at <= now) {
                Timer due = timers.poll();
                if (due.connection.open) {
                    due.connection.onTimer(due.kind);
                }
            }
            if (timers.isEmpty()) {
                selector.select();
            } else {
                long waitMillis = Math.max(1, (timers.peek().at - System.nanoTime() + 999_999) / 1_000_000);
                selector.select(waitMillis);
            }
            Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
            while (keys.hasNext()) {
                SelectionKey key = keys.next();
                keys.remove();
                if (!key.isValid()) {
                    continue;
                }
                if (key.isAcceptable()) {
                    accept();
                    continue;
                }
                Connection connection = (Connection) key.attachment();
                try {
                    if (key.isWritable()) {
                        connection.flush();
                    }
                    if (key.isValid() && key.isReadable()) {
                        connection.read();
                    }
                } catch (IOException | RuntimeException e) {
                    connection.close();
                }
            }
        }
    }

    private void accept() throws IOException {
        SocketChannel channel;
        while ((channel = server.accept()) != null) {
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            Connection connection = new Connection(channel);
            connection.key = channel.register(selector, SelectionKey.OP_READ, connection);
        }
    }

    private enum TimerKind { EVENT, RESUME_READING }

    private record Timer(long at, Connection connection, TimerKind kind) implements Comparable<Timer> {
        @Override
        public int compareTo(Timer other) {
            return Long.compare(at, other.at);
        }
    }

    /** What the connection is doing with its current request. */
    private enum Phase { HEAD, BODY, CHUNK_SIZE, CHUNK_DATA, CHUNK_DATA_END, CHUNK_TRAILER, RESPONDING }

    /** One client connection; requests on it are served one after another. */
    private final class Connection {
        final SocketChannel channel;
        final ByteBuffer in = ByteBuffer.allocate(32 * 1024);
        final ArrayDeque<ByteBuffer> out = new ArrayDeque<>();
        SelectionKey key;
        boolean open = true;

        Phase phase = Phase.HEAD;
        long bodyLeft;
        long bodyRead;
        boolean readingPaused;
        boolean stalled;
        boolean stalledOnce;
        String query;
        boolean keyOk;
        boolean release;
        boolean createsFile;

        long downloadLeft;
        int eventsLeft;
        long gapNanos;
        boolean holding;
        long holdEpoch;
        long holdUntil;
        boolean finishing;

        Connection(SocketChannel channel) {
            this.channel = channel;
        }

        void read() throws IOException {
            if (!in.hasRemaining()) {
                pauseReading();
                return;
            }
            int n = channel.read(in);
            if (n < 0) {
                close();
                return;
            }
            process();
        }

        /** Parses what is buffered while a request is being read. */
        void process() throws IOException {
            boolean progress = true;
            while (progress && open && phase != Phase.RESPONDING && !stalled) {
                progress = switch (phase) {
                    case HEAD -> parseHead();
                    case BODY -> readBody();
                    case CHUNK_SIZE -> chunkSize();
                    case CHUNK_DATA -> readBody();
                    case CHUNK_DATA_END -> skipLine(Phase.CHUNK_SIZE);
                    case CHUNK_TRAILER -> trailerLine();
                    case RESPONDING -> false;
                };
            }
            if (phase != Phase.RESPONDING && !stalled && !in.hasRemaining()) {
                throw new IOException("request head too large");
            }
        }

        private boolean parseHead() throws IOException {
            int end = indexOf(in, 0, "\r\n\r\n");
            if (end < 0) {
                return false;
            }
            String head = new String(in.array(), 0, end, StandardCharsets.ISO_8859_1);
            consume(end + 4);
            int lineEnd = head.indexOf("\r\n");
            String requestLine = lineEnd < 0 ? head : head.substring(0, lineEnd);
            int sp1 = requestLine.indexOf(' ');
            int sp2 = requestLine.indexOf(' ', sp1 + 1);
            String target = requestLine.substring(sp1 + 1, sp2);
            int q = target.indexOf('?');
            query = q < 0 ? "" : target.substring(q + 1);
            release = target.startsWith("/bench/release");
            createsFile = requestLine.startsWith("POST ") && (target.equals("/v1/files") || target.startsWith("/v1/files?"));
            long contentLength = 0;
            boolean chunked = false;
            int keys = 0;
            boolean matching = false;
            int from = lineEnd < 0 ? head.length() : lineEnd + 2;
            while (from < head.length()) {
                int next = head.indexOf("\r\n", from);
                String line = next < 0 ? head.substring(from) : head.substring(from, next);
                from = next < 0 ? head.length() : next + 2;
                int colon = line.indexOf(':');
                if (colon <= 0) {
                    continue;
                }
                String value = line.substring(colon + 1).trim();
                if (line.regionMatches(true, 0, "content-length", 0, colon) && colon == 14) {
                    contentLength = Long.parseLong(value);
                } else if (line.regionMatches(true, 0, "transfer-encoding", 0, colon) && colon == 17) {
                    chunked = value.toLowerCase().contains("chunked");
                } else if (line.regionMatches(true, 0, "x-api-key", 0, colon) && colon == 9) {
                    keys++;
                    matching = value.equals(realKey);
                }
            }
            keyOk = keys == 1 && matching;
            bodyRead = 0;
            if (chunked) {
                phase = Phase.CHUNK_SIZE;
            } else if (contentLength > 0) {
                bodyLeft = contentLength;
                phase = Phase.BODY;
            } else {
                respond();
            }
            return true;
        }

        private boolean readBody() throws IOException {
            int available = in.position();
            if (available == 0) {
                return false;
            }
            long stallAfter = param("stall_after", -1);
            int take = (int) Math.min(available, bodyLeft);
            if (stallAfter >= 0 && bodyRead < stallAfter && bodyRead + take >= stallAfter) {
                take = (int) (stallAfter - bodyRead);
            }
            consume(take);
            bodyRead += take;
            bodyLeft -= take;
            if (stallAfter >= 0 && bodyRead == stallAfter && !stalledOnce) {
                stall();
            }
            if (bodyLeft == 0) {
                if (phase == Phase.BODY) {
                    respond();
                } else {
                    phase = Phase.CHUNK_DATA_END;
                }
            }
            return true;
        }

        private void stall() {
            stalledOnce = true;
            stalled = true;
            pauseReading();
            timers.add(new Timer(System.nanoTime() + param("stall_ms", 0) * 1_000_000L, this, TimerKind.RESUME_READING));
        }

        private boolean chunkSize() throws IOException {
            int end = indexOf(in, 0, "\r\n");
            if (end < 0) {
                return false;
            }
            String line = new String(in.array(), 0, end, StandardCharsets.ISO_8859_1);
            consume(end + 2);
            long size = ResponseReader.chunkSize(line);
            if (size == 0) {
                phase = Phase.CHUNK_TRAILER;
            } else {
                bodyLeft = size;
                phase = Phase.CHUNK_DATA;
            }
            return true;
        }

        private boolean skipLine(Phase next) {
            int end = indexOf(in, 0, "\r\n");
            if (end < 0) {
                return false;
            }
            consume(end + 2);
            phase = next;
            return true;
        }

        private boolean trailerLine() throws IOException {
            int end = indexOf(in, 0, "\r\n");
            if (end < 0) {
                return false;
            }
            consume(end + 2);
            if (end == 0) {
                respond();
            }
            return true;
        }

        private void respond() throws IOException {
            phase = Phase.RESPONDING;
            if (release) {
                releaseEpoch++;
                send(RELEASED_RESPONSE);
                finishResponse();
            } else if (!keyOk) {
                send(UNAUTHORIZED_RESPONSE);
                finishResponse();
            } else if (createsFile) {
                send(FILE_RESPONSE);
                finishResponse();
            } else if (param("count", 0) == 1) {
                String body = "{\"received_bytes\":" + bodyRead + "}";
                send(ascii("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: " + body.length()
                        + "\r\n\r\n" + body));
                finishResponse();
            } else if (param("bytes", -1) >= 0) {
                downloadLeft = param("bytes", 0);
                finishing = downloadLeft == 0;
                send(ascii("HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: "
                        + downloadLeft + "\r\n\r\n"));
                flush();
            } else if (param("events", -1) >= 0 || param("hold", 0) == 1) {
                holding = param("hold", 0) == 1;
                eventsLeft = (int) param("events", 0);
                gapNanos = param("gap_ms", 20) * 1_000_000L;
                holdEpoch = releaseEpoch;
                holdUntil = System.nanoTime() + HOLD_LIMIT_NANOS;
                send(SSE_HEAD);
                send(SSE_START);
                timers.add(new Timer(System.nanoTime() + gapNanos, this, TimerKind.EVENT));
                flush();
            } else {
                send(MESSAGE_RESPONSE);
                finishResponse();
            }
        }

        void onTimer(TimerKind kind) {
            try {
                if (kind == TimerKind.RESUME_READING) {
                    stalled = false;
                    resumeReading();
                    process();
                    return;
                }
                boolean more = holding ? releaseEpoch == holdEpoch && System.nanoTime() < holdUntil : eventsLeft > 0;
                if (more) {
                    // The timestamp is taken as late as possible: right before the bytes go to the socket.
                    byte[] event = ascii(DELTA_PREFIX + System.nanoTime() + DELTA_SUFFIX);
                    send(chunk(event));
                    eventsLeft--;
                    timers.add(new Timer(System.nanoTime() + gapNanos, this, TimerKind.EVENT));
                    flush();
                } else {
                    send(SSE_END);
                    finishResponse();
                }
            } catch (IOException | RuntimeException e) {
                close();
            }
        }

        private void finishResponse() throws IOException {
            finishing = true;
            flush();
        }

        private void send(byte[] bytes) {
            out.add(ByteBuffer.wrap(bytes));
        }

        void flush() throws IOException {
            while (true) {
                ByteBuffer head = out.peek();
                if (head == null && downloadLeft > 0) {
                    ByteBuffer slice = FILLER.duplicate();
                    slice.limit((int) Math.min(slice.capacity(), downloadLeft));
                    int written = channel.write(slice);
                    downloadLeft -= written;
                    if (slice.hasRemaining()) {
                        key.interestOps(key.interestOps() | SelectionKey.OP_WRITE);
                        return;
                    }
                    if (downloadLeft == 0) {
                        finishing = true;
                    }
                    continue;
                }
                if (head == null) {
                    break;
                }
                channel.write(head);
                if (head.hasRemaining()) {
                    key.interestOps(key.interestOps() | SelectionKey.OP_WRITE);
                    return;
                }
                out.poll();
            }
            key.interestOps(key.interestOps() & ~SelectionKey.OP_WRITE);
            if (finishing) {
                finishing = false;
                phase = Phase.HEAD;
                resumeReading();
                process();
            }
        }

        private void pauseReading() {
            readingPaused = true;
            key.interestOps(key.interestOps() & ~SelectionKey.OP_READ);
        }

        private void resumeReading() {
            if (readingPaused) {
                readingPaused = false;
                key.interestOps(key.interestOps() | SelectionKey.OP_READ);
            }
        }

        private void consume(int count) {
            int remaining = in.position() - count;
            System.arraycopy(in.array(), count, in.array(), 0, remaining);
            in.position(remaining);
        }

        private long param(String name, long otherwise) {
            return queryParam(query, name, otherwise);
        }

        void close() {
            open = false;
            key.cancel();
            try {
                channel.close();
            } catch (IOException e) {
                // Closing anyway.
            }
        }
    }

    static long queryParam(String query, String name, long otherwise) {
        int at = 0;
        while (at < query.length()) {
            int amp = query.indexOf('&', at);
            int end = amp < 0 ? query.length() : amp;
            int eq = query.indexOf('=', at);
            if (eq > at && eq < end && query.regionMatches(at, name, 0, name.length()) && eq - at == name.length()) {
                return Long.parseLong(query.substring(eq + 1, end));
            }
            at = end + 1;
        }
        return otherwise;
    }

    private static int indexOf(ByteBuffer buffer, int from, String pattern) {
        byte[] array = buffer.array();
        int limit = buffer.position() - pattern.length();
        outer:
        for (int i = from; i <= limit; i++) {
            for (int j = 0; j < pattern.length(); j++) {
                if (array[i + j] != pattern.charAt(j)) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static byte[] chunk(byte[] data) {
        return concat(ascii(Integer.toHexString(data.length)), CRLF, data, CRLF);
    }

    private static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        byte[] all = new byte[length];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }

    static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static ByteBuffer filler() {
        ByteBuffer buffer = ByteBuffer.allocateDirect(256 * 1024);
        while (buffer.hasRemaining()) {
            buffer.put((byte) ('a' + buffer.position() % 26));
        }
        return buffer.flip().asReadOnlyBuffer();
    }
}
