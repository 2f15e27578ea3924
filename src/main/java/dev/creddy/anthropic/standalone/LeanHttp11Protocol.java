package dev.creddy.anthropic.standalone;

import org.apache.coyote.http11.Http11NioProtocol;
import org.apache.tomcat.util.net.NioEndpoint;

/**
 * Tomcat's NIO HTTP/1.1 protocol with a smaller response buffer. Each request in flight, and so each
 * open stream, holds a response buffer of 8 KB of bytes plus 8 K chars (16 KB) that the proxy never
 * writes characters into; Tomcat takes its size from {@link #getDesiredBufferSize} and offers no
 * setting for HTTP. The proxy writes a response as the upstream's chunks arrive and flushes them: what
 * is larger than the buffer goes around it, so a small one costs no extra writes, and saves 18 KB per
 * stream (bench/README, held streams). Configured once, at start-up.
 */
final class LeanHttp11Protocol extends Http11NioProtocol {

    /** The response buffer, in bytes (and as many chars). */
    static final int RESPONSE_BUFFER = 2 * 1024;
    /** The socket's read and write buffers, in bytes (set by {@link ClientConnector}). */
    static final int SOCKET_BUFFER = 4 * 1024;

    LeanHttp11Protocol(NioEndpoint endpoint) {
        super(endpoint);
    }

    @Override
    public int getDesiredBufferSize() {
        return RESPONSE_BUFFER;
    }
}
