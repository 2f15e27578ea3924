package dev.creddy.anthropic.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One large upload or download over a plain blocking socket, timed from the first byte written to
 * the last byte read. A download can pause its reading part-way, so a proxy that buffered instead of
 * applying back-pressure would show it in its heap. Confined to the calling thread, except for
 * {@link #progress}, which other threads may read.
 */
final class BigBody {

    private static final int BLOCK = 64 * 1024;

    private final InetSocketAddress target;
    private final String apiKey;
    private final AtomicLong progress = new AtomicLong();

    BigBody(InetSocketAddress target, String apiKey) {
        this.target = target;
        this.apiKey = apiKey;
    }

    /** Bytes sent (upload) or received (download) so far. */
    long progress() {
        return progress.get();
    }

    /** A Messages body is scanned as JSON on its way (the file-id check): the upload is one, one long user turn. */
    private static final byte[] BODY_START = "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":\""
            .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] BODY_END = "\"}]}".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /**
     * Uploads {@code size} bytes of a valid Messages body; the upstream reports how many it received.
     *
     * @param query extra query parameters for the upstream (e.g. its stall), or ""
     * @return the elapsed nanoseconds
     */
    long upload(long size, String query) throws IOException {
        try (Socket socket = connect()) {
            OutputStream out = socket.getOutputStream();
            long start = System.nanoTime();
            out.write(head("POST", "/v1/messages?count=1" + query, size));
            byte[] block = new byte[BLOCK];
            for (int i = 0; i < block.length; i++) {
                block[i] = (byte) ('a' + i % 26);
            }
            out.write(BODY_START);
            progress.addAndGet(BODY_START.length);
            long left = size - BODY_START.length - BODY_END.length;
            while (left > 0) {
                int n = (int) Math.min(block.length, left);
                out.write(block, 0, n);
                left -= n;
                progress.addAndGet(n);
            }
            out.write(BODY_END);
            progress.addAndGet(BODY_END.length);
            out.flush();
            String body = readWhole(socket.getInputStream());
            long elapsed = System.nanoTime() - start;
            if (!body.contains("\"received_bytes\":" + size)) {
                throw new IOException("the upstream did not receive the whole body: " + body);
            }
            return elapsed;
        }
    }

    /**
     * Downloads {@code size} bytes.
     *
     * @param pauseAfter stop reading after this many body bytes (or -1 never) ...
     * @param pauseMillis ... for this long
     * @return the elapsed nanoseconds
     */
    long download(long size, long pauseAfter, long pauseMillis) throws IOException, InterruptedException {
        try (Socket socket = connect()) {
            long start = System.nanoTime();
            socket.getOutputStream().write(head("GET", "/v1/files/file_bench/content?bytes=" + size, -1));
            ResponseReader reader = new ResponseReader((array, from, to) -> progress.addAndGet(to - from));
            InputStream in = socket.getInputStream();
            ByteBuffer buffer = ByteBuffer.allocate(BLOCK);
            boolean paused = pauseAfter < 0;
            while (true) {
                int n = in.read(buffer.array(), buffer.position(), buffer.remaining());
                if (n < 0) {
                    throw new IOException("connection closed after " + progress.get() + " of " + size + " bytes");
                }
                buffer.position(buffer.position() + n);
                buffer.flip();
                boolean done = reader.feed(buffer);
                buffer.compact();
                if (done) {
                    break;
                }
                if (!paused && progress.get() >= pauseAfter) {
                    paused = true;
                    Thread.sleep(pauseMillis);
                }
            }
            long elapsed = System.nanoTime() - start;
            if (reader.status() != 200 || reader.bodyBytes() != size) {
                throw new IOException("download answered " + reader.status() + " with " + reader.bodyBytes() + " bytes");
            }
            return elapsed;
        }
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.connect(target, 10_000);
        socket.setSoTimeout(60_000);
        return socket;
    }

    private byte[] head(String method, String target, long length) {
        StringBuilder head = new StringBuilder()
                .append(method).append(' ').append(target).append(" HTTP/1.1\r\n")
                .append("host: ").append(this.target.getHostString()).append(':').append(this.target.getPort()).append("\r\n")
                .append("x-api-key: ").append(apiKey).append("\r\n")
                .append("anthropic-version: 2023-06-01\r\n");
        if (length >= 0) {
            head.append("content-type: application/octet-stream\r\ncontent-length: ").append(length).append("\r\n");
        }
        return head.append("connection: close\r\n\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String readWhole(InputStream in) throws IOException {
        StringBuilder body = new StringBuilder();
        ResponseReader collecting = new ResponseReader((array, from, to) ->
                body.append(new String(array, from, to - from, StandardCharsets.ISO_8859_1)));
        ByteBuffer buffer = ByteBuffer.allocate(BLOCK);
        while (true) {
            int n = in.read(buffer.array(), buffer.position(), buffer.remaining());
            if (n < 0) {
                throw new IOException("connection closed before the response ended");
            }
            buffer.position(buffer.position() + n);
            buffer.flip();
            boolean done = collecting.feed(buffer);
            buffer.compact();
            if (done) {
                return collecting.status() + " " + body;
            }
        }
    }
}
