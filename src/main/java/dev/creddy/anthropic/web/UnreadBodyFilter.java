package dev.creddy.anthropic.web;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.IOException;

/**
 * Sends {@code Connection: close} with every refusal (status 400 or above) of a request that carries a
 * body, on the endpoints the proxy answers itself (tokens, usage, health, metrics, the error and
 * not-found pages). Most refusals come before the body is read (401 before any token, 405), and a
 * container keeps such a connection by reading ("swallowing") the rest of the body on a worker thread,
 * at whatever pace the client sends it; closing instead frees the thread. A refusal after the body was
 * read loses only a reusable connection, on an error path. The forwarding path decides this itself.
 *
 * <p>Containers honour the header differently: the standalone launcher also tells Tomcat not to
 * swallow at all, and tomcat-conf/README.md bounds what an app server swallows ({@code maxSwallowSize}).
 *
 * <p>Thread-safe: no state; each wrapper is confined to its request.
 */
@WebFilter(filterName = "unread-body", servletNames = {"tokens", "token-item", "usage", "health", "readiness", "metrics",
        "not-found", "error-page"}, dispatcherTypes = {DispatcherType.REQUEST, DispatcherType.ERROR})
public class UnreadBodyFilter extends HttpFilter {

    private static final long serialVersionUID = 1L;

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        chain.doFilter(request, hasBody(request) ? new ClosingOnRefusal(response) : response);
    }

    /** A declared length above zero, or any transfer coding (chunked): RFC 9112 §6.3. */
    static boolean hasBody(HttpServletRequest request) {
        return request.getContentLengthLong() > 0 || request.getHeader("Transfer-Encoding") != null;
    }

    private static final class ClosingOnRefusal extends HttpServletResponseWrapper {

        ClosingOnRefusal(HttpServletResponse response) {
            super(response);
        }

        @Override
        public void setStatus(int status) {
            closeIfRefusal(status);
            super.setStatus(status);
        }

        @Override
        public void sendError(int status) throws IOException {
            closeIfRefusal(status);
            super.sendError(status);
        }

        @Override
        public void sendError(int status, String message) throws IOException {
            closeIfRefusal(status);
            super.sendError(status, message);
        }

        private void closeIfRefusal(int status) {
            if (status >= 400 && !isCommitted()) {
                setHeader("Connection", "close");
            }
        }
    }
}
