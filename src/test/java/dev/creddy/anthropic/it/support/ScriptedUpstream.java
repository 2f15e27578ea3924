package dev.creddy.anthropic.it.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A misbehaving upstream on a loopback port, at the socket level, for the failures an HTTP server
 * library will not produce: never answering, resetting mid-stream, closing before a response.
 */
public final class ScriptedUpstream implements AutoCloseable {

    /** What to do with each request. */
    public enum Mode {
        /** Read the request, answer nothing, keep the connection open. */
        HANG,
        /** Start an SSE response, send two events, then reset the connection. */
        RESET_MID_STREAM,
        /** Read the request and close the connection without a response. */
        CLOSE_AT_ONCE,
        /** Start a chunked JSON response, send part of it, then reset the connection. */
        RESET_MID_CHUNKED_BODY,
        /** Declare a Content-Length, send part of the body, then reset the connection. */
        RESET_MID_SIZED_BODY
    }

    private final ServerSocket server;
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private final Thread acceptor;
    private volatile Mode mode = Mode.HANG;
    private volatile CountDownLatch requestSeen = new CountDownLatch(1);
    private volatile CountDownLatch resetAllowed = new CountDownLatch(1);
    private final java.util.concurrent.atomic.AtomicInteger requests = new java.util.concurrent.atomic.AtomicInteger();

    public ScriptedUpstream() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(this::acceptLoop, "scripted-upstream");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    public void mode(Mode mode) {
        this.mode = mode;
        this.requests.set(0);
        this.requestSeen = new CountDownLatch(1);
        this.resetAllowed = new CountDownLatch(1);
    }

    /**
     * Lets a {@link Mode#RESET_MID_STREAM} connection reset now. The test calls it once the client has
     * seen the first event: a reset that arrives before the proxy read the bytes would discard them.
     */
    public void allowReset() {
        resetAllowed.countDown();
    }

    /** Waits until a request arrived since the last {@link #mode}. */
    public boolean awaitRequest(long seconds) throws InterruptedException {
        return requestSeen.await(seconds, TimeUnit.SECONDS);
    }

    /** How many requests arrived since the last {@link #mode}. */
    public int requests() {
        return requests.get();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                open.add(socket);
                Thread handler = new Thread(() -> handle(socket), "scripted-upstream-conn");
                handler.setDaemon(true);
                handler.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void handle(Socket socket) {
        try {
            readRequest(socket.getInputStream());
            requests.incrementAndGet();
            requestSeen.countDown();
            OutputStream out = socket.getOutputStream();
            switch (mode) {
                case HANG -> {
                    // Say nothing; the proxy's header deadline must end this.
                }
                case CLOSE_AT_ONCE -> socket.close();
                case RESET_MID_STREAM -> {
                    out.write(("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n"
                            + "request-id: req_scripted\r\ntransfer-encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    List<Wire.Event> events = Wire.standardEvents("cut short");
                    for (Wire.Event event : events.subList(0, 2)) {
                        byte[] bytes = event.bytes();
                        out.write((Integer.toHexString(bytes.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                        out.write(bytes);
                        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                    }
                    out.flush();
                    if (!resetAllowed.await(10, TimeUnit.SECONDS)) {
                        throw new IOException("the client never saw the first event");
                    }
                    // SO_LINGER 0 turns close() into a TCP reset.
                    socket.setSoLinger(true, 0);
                    socket.close();
                }
                case RESET_MID_CHUNKED_BODY -> {
                    out.write(("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
                            + "10\r\n{\"data\":[1,2,3,4\r\n").getBytes(StandardCharsets.US_ASCII));
                    resetAfterTheClientSawIt(socket);
                }
                case RESET_MID_SIZED_BODY -> {
                    out.write(("HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: 1000\r\n\r\n"
                            + "x".repeat(100)).getBytes(StandardCharsets.US_ASCII));
                    resetAfterTheClientSawIt(socket);
                }
                default -> throw new IllegalStateException(mode.toString());
            }
        } catch (IOException e) {
            // The proxy hung up first: fine for every mode.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void resetAfterTheClientSawIt(Socket socket) throws IOException, InterruptedException {
        socket.getOutputStream().flush();
        if (!resetAllowed.await(10, TimeUnit.SECONDS)) {
            throw new IOException("the client never saw the first bytes");
        }
        socket.setSoLinger(true, 0);
        socket.close();
    }

    /** Reads a request head and a Content-Length body (the tests send small JSON). */
    private static void readRequest(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("request ended early");
            }
            head.write(b);
            matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        long length = 0;
        for (String line : head.toString(StandardCharsets.US_ASCII).split("\r\n")) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                length = Long.parseLong(line.substring(15).strip());
            }
        }
        in.readNBytes((int) length);
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket socket : open) {
            socket.close();
        }
    }
}
