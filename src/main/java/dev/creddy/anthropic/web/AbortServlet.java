package dev.creddy.anthropic.web;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.api.ApiResponses;
import dev.creddy.anthropic.forward.Forwarder;
import jakarta.inject.Inject;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * The target an exchange dispatches to when a committed response must end in a broken connection
 * (see {@code Exchange.abortConnection}): it fails, and the container closes the connection at
 * once. On Tomcat it throws Tomcat's own client-abort exception, which closes the connection
 * without an error page or a logged stack trace; elsewhere a plain {@link IOException}. Asked for
 * directly by a client, it is just another 404.
 */
@WebServlet(name = "abort", urlPatterns = Forwarder.ABORT_PATH)
public class AbortServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private static final String TOMCAT_ABORT = "org.apache.catalina.connector.ClientAbortException";

    @Inject
    transient ApiResponses responses;

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (request.getDispatcherType() != DispatcherType.ASYNC || request.getAttribute(Forwarder.ABORT_ATTRIBUTE) == null) {
            responses.error(response, ApiError.of(404, "not found"));
            return;
        }
        throw abort();
    }

    private static IOException abort() {
        String message = "the upstream response broke off; closing the client connection";
        try {
            return (IOException) Class.forName(TOMCAT_ABORT).getConstructor(String.class).newInstance(message);
        } catch (ReflectiveOperationException | ClassCastException | LinkageError e) {
            return new IOException(message);
        }
    }
}
