package dev.creddy.anthropic.bench;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Reads one HTTP/1.1 response at a time from bytes as they arrive: the head, then a body framed by
 * {@code Content-Length} or chunked encoding, handing the body's bytes to a {@link BodySink}.
 * Confined to the thread that reads the connection.
 */
final class ResponseReader {

    /** Receives body bytes as they arrive (already de-chunked). */
    @FunctionalInterface
    interface BodySink {
        void body(byte[] array, int from, int to);
    }

    private enum State { HEAD, LENGTH, CHUNK_SIZE, CHUNK_DATA, CHUNK_DATA_END, TRAILER, DONE }

    private final BodySink sink;
    private final StringBuilder line = new StringBuilder();
    private State state = State.HEAD;
    private int status;
    private long left;
    private long contentLength;
    private boolean chunked;
    private boolean closing;
    private boolean firstLine = true;
    private long bodyBytes;

    ResponseReader(BodySink sink) {
        this.sink = sink;
    }

    /** Ready for the next response on the same connection. */
    void reset() {
        state = State.HEAD;
        status = 0;
        contentLength = -1;
        chunked = false;
        closing = false;
        firstLine = true;
        bodyBytes = 0;
        line.setLength(0);
    }

    int status() {
        return status;
    }

    /** Whether the server said it closes the connection after this response ({@code Connection: close}). */
    boolean closing() {
        return closing;
    }

    boolean headDone() {
        return state != State.HEAD;
    }

    long bodyBytes() {
        return bodyBytes;
    }

    /**
     * Consumes bytes from {@code in} (in read mode, heap-backed) up to the end of the current response.
     *
     * @return true when the response is complete; bytes after it stay in {@code in}
     */
    boolean feed(ByteBuffer in) {
        byte[] array = in.array();
        int at = in.position();
        int end = in.limit();
        try {
            while (at < end && state != State.DONE) {
                switch (state) {
                    case HEAD, CHUNK_SIZE, CHUNK_DATA_END, TRAILER -> {
                        byte b = array[at++];
                        if (b == '\n') {
                            lineEnded();
                        } else if (b != '\r') {
                            line.append((char) (b & 0xff));
                        }
                    }
                    case LENGTH, CHUNK_DATA -> {
                        int take = (int) Math.min(end - at, left);
                        if (sink != null) {
                            sink.body(array, at, at + take);
                        }
                        at += take;
                        left -= take;
                        bodyBytes += take;
                        if (left == 0) {
                            state = state == State.LENGTH ? State.DONE : State.CHUNK_DATA_END;
                        }
                    }
                    case DONE -> {
                    }
                }
            }
        } finally {
            in.position(at);
        }
        return state == State.DONE;
    }

    private void lineEnded() {
        String text = line.toString();
        line.setLength(0);
        switch (state) {
            case HEAD -> {
                if (firstLine) {
                    firstLine = false;
                    status = Integer.parseInt(text.substring(9, 12));
                    contentLength = -1;
                } else if (text.isEmpty()) {
                    if (chunked) {
                        state = State.CHUNK_SIZE;
                    } else if (contentLength > 0) {
                        left = contentLength;
                        state = State.LENGTH;
                    } else if (contentLength == 0 || status == 204 || status == 304) {
                        state = State.DONE;
                    } else {
                        throw new IllegalStateException("a response without framing: the benchmark needs length or chunks");
                    }
                } else {
                    int colon = text.indexOf(':');
                    if (colon > 0) {
                        String name = text.substring(0, colon).trim();
                        String value = text.substring(colon + 1).trim();
                        if (name.equalsIgnoreCase("content-length")) {
                            contentLength = Long.parseLong(value);
                        } else if (name.equalsIgnoreCase("transfer-encoding")) {
                            chunked = value.toLowerCase().contains("chunked");
                        } else if (name.equalsIgnoreCase("connection")) {
                            closing = value.toLowerCase().contains("close");
                        }
                    }
                }
            }
            case CHUNK_SIZE -> {
                long size = chunkSize(text);
                if (size == 0) {
                    state = State.TRAILER;
                } else {
                    left = size;
                    state = State.CHUNK_DATA;
                }
            }
            case CHUNK_DATA_END -> state = State.CHUNK_SIZE;
            case TRAILER -> {
                if (text.isEmpty()) {
                    state = State.DONE;
                }
            }
            default -> throw new IllegalStateException("no line expected in " + state);
        }
    }

    /** The size on a chunk-size line (RFC 9112 §7.1), ignoring chunk extensions. */
    static long chunkSize(String line) {
        int semicolon = line.indexOf(';');
        return Long.parseLong((semicolon < 0 ? line : line.substring(0, semicolon)).trim(), 16);
    }

    static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }
}
