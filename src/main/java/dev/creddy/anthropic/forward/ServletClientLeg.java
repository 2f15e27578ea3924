package dev.creddy.anthropic.forward;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The client leg of a real exchange: the servlet response and its async context, as the
 * {@link ClientResponseWriter} (its only user) needs them. Confined to the writer's lock, but for
 * {@link #complete} and {@link #abort}, which the writer calls once.
 */
final class ServletClientLeg implements ClientResponseWriter.ClientLeg {

    private static final Logger LOG = Logger.getLogger(ServletClientLeg.class.getName());

    private final HttpServletResponse clientResponse;
    private final AsyncContext asyncContext;

    ServletClientLeg(HttpServletResponse clientResponse, AsyncContext asyncContext) {
        this.clientResponse = clientResponse;
        this.asyncContext = asyncContext;
    }

    @Override
    public ServletOutputStream output() throws IOException {
        return clientResponse.getOutputStream();
    }

    @Override
    public int bufferSize() {
        return clientResponse.getBufferSize();
    }

    @Override
    public void status(int status) {
        clientResponse.setStatus(status);
    }

    @Override
    public void addHeader(String name, String value) {
        clientResponse.addHeader(name, value);
    }

    @Override
    public void setHeader(String name, String value) {
        clientResponse.setHeader(name, value);
    }

    @Override
    public void contentLength(long length) {
        clientResponse.setContentLengthLong(length);
    }

    @Override
    public void contentType(String type) {
        clientResponse.setContentType(type);
    }

    @Override
    public void complete() {
        try {
            asyncContext.complete();
        } catch (IllegalStateException e) {
            // The container ended the request itself after a client error: there is nothing left to complete.
            LOG.log(Level.FINE, "async context already ended", e);
        }
    }

    /**
     * There is no Servlet API to break a committed response's connection, so the exchange dispatches
     * to a target that fails after commit, which containers answer by closing the connection.
     */
    @Override
    public void abort() {
        try {
            asyncContext.getRequest().setAttribute(Forwarder.ABORT_ATTRIBUTE, Boolean.TRUE);
            asyncContext.dispatch(Forwarder.ABORT_PATH);
        } catch (IllegalStateException e) {
            LOG.log(Level.FINE, "async context already ended", e);
        }
    }
}
