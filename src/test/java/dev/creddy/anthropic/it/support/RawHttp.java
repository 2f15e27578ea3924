package dev.creddy.anthropic.it.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Raw bytes to a loopback server and what came back, for requests no HTTP client would send
 * (malformed header lines, a head that never ends, a body that drips). Every answer is recorded for
 * the suite's leak audit. Stateless; each call uses its own socket.
 */
public final class RawHttp {

    private RawHttp() {
    }

    /**
     * What the server sent until it closed the connection or {@code wait} passed.
     *
     * @param text everything the server sent
     * @param closed whether the server closed the connection within {@code wait}
     * @param elapsed from the last byte sent to the close (or to {@code wait})
     */
    public record Answer(String text, boolean closed, Duration elapsed) {
        public int status() {
            return text.length() >= 12 && text.startsWith("HTTP/1.1 ") ? Integer.parseInt(text.substring(9, 12)) : -1;
        }

        public String head() {
            int end = text.indexOf("\r\n\r\n");
            return end < 0 ? text : text.substring(0, end);
        }

        public String body() {
            int end = text.indexOf("\r\n\r\n");
            return end < 0 ? "" : text.substring(end + 4);
        }
    }

    /** Sends {@code bytes} to {@code host:port} and reads until the server closes, at most {@code wait}. */
    public static Answer exchange(String host, int port, byte[] bytes, Duration wait) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 5_000);
            socket.getOutputStream().write(bytes);
            socket.getOutputStream().flush();
            long sent = System.nanoTime();
            Answer answer = readUntilClosed(socket, wait, sent);
            SuiteRecorder.response(answer.text());
            return answer;
        }
    }

    /** Reads what {@code socket} receives until the peer closes it or {@code wait} passed since {@code since}. */
    public static Answer readUntilClosed(Socket socket, Duration wait, long since) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        InputStream in = socket.getInputStream();
        long deadline = since + wait.toNanos();
        byte[] buffer = new byte[8192];
        boolean closed = false;
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
            try {
                int read = in.read(buffer);
                if (read < 0) {
                    closed = true;
                    break;
                }
                all.write(buffer, 0, read);
            } catch (SocketTimeoutException e) {
                break;
            } catch (IOException e) {
                // A reset is a close too.
                closed = true;
                break;
            }
        }
        return new Answer(all.toString(StandardCharsets.ISO_8859_1), closed, Duration.ofNanos(System.nanoTime() - since));
    }
}
