package dev.creddy.anthropic.standalone;

import jakarta.servlet.ServletException;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ValveBase;
import org.apache.coyote.ActionCode;

/**
 * Closes the connection, instead of reading the rest, when a request ends with its body unread: a
 * refusal (401 before any token, 404, 405) answered to a client still uploading. Tomcat would
 * otherwise "swallow" the rest to keep the connection, on a worker thread, at whatever pace the client
 * sends; about 220 clients that declare a large body and drip it pinned all 200 threads.
 *
 * <p>Installed on the engine, so it runs after the application and its error pages have written the
 * answer. The answer is flushed first (so the client gets its status and {@code Connection: close}),
 * then Tomcat is told not to swallow, which also makes it close the connection. Requests still in async
 * mode (forwarding) are left to the application, which ends them later.
 *
 * <p>Thread-safe: no state.
 */
final class UnreadBodyValve extends ValveBase {

    UnreadBodyValve() {
        super(true);
    }

    @Override
    public void invoke(Request request, Response response) throws IOException, ServletException {
        getNext().invoke(request, response);
        if (request.isAsync()) {
            return;
        }
        AtomicBoolean fullyRead = new AtomicBoolean(true);
        request.getCoyoteRequest().action(ActionCode.REQUEST_BODY_FULLY_READ, fullyRead);
        if (fullyRead.get()) {
            return;
        }
        if (!response.isCommitted()) {
            response.setHeader("Connection", "close");
        }
        try {
            response.flushBuffer();
        } catch (IOException e) {
            // The client is gone: the connection closes either way.
        }
        request.getCoyoteRequest().action(ActionCode.DISABLE_SWALLOW_INPUT, null);
    }
}
