package dev.creddy.anthropic.web;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.api.ApiResponses;
import jakarta.inject.Inject;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The container's error page for this application (web.xml {@code <error-page>}): whatever the
 * container itself refuses or whatever escapes a servlet ends as an Anthropic JSON error, never an
 * HTML page or a stack trace.
 */
@WebServlet(name = "error-page", urlPatterns = "/_creddy/error")
public class ErrorPageServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = Logger.getLogger(ErrorPageServlet.class.getName());

    @Inject
    transient ApiResponses responses;

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        int status = code instanceof Integer value && value >= 400 ? value : 500;
        Object failure = request.getAttribute(RequestDispatcher.ERROR_EXCEPTION);
        if (failure instanceof Throwable thrown) {
            // The class only: exception texts could carry anything, and this line must carry no secret.
            LOG.log(Level.WARNING, "request to {0} failed: {1}",
                    new Object[] {request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI), thrown.getClass().getName()});
        }
        if (request.getDispatcherType() != jakarta.servlet.DispatcherType.ERROR) {
            status = 404;
        }
        String message = switch (status) {
            case 404 -> "not found";
            case 405 -> "method not allowed";
            case 413 -> "request too large";
            case 500 -> "internal error in the proxy";
            default -> status < 500 ? "the request was refused" : "the proxy failed";
        };
        if (response.isCommitted()) {
            // Part of a response already went out (a client that went away mid-body): nothing can be said.
            return;
        }
        response.resetBuffer();
        responses.error(response, ApiError.of(status, message));
    }
}
