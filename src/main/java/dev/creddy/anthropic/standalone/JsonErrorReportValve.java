package dev.creddy.anthropic.standalone;

import java.io.IOException;
import java.io.Writer;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import org.apache.coyote.ActionCode;

/**
 * The host's error report in Anthropic's JSON error shape, for what the application never sees:
 * requests the connector refuses before any servlet runs (a malformed header line, an encoded slash,
 * too many headers, a URI outside the context). Tomcat's own report is an HTML page with the server's
 * version and an exception text that can quote the offending header line, an issuer key or a
 * {@code crd_} token included. This one names only the status: no version, no echo of the request,
 * no exception.
 *
 * <p>Errors inside the application never get here: its {@code <error-page>} has written them already
 * (the report is written only when nothing has been).
 *
 * <p>Thread-safe: no state.
 */
public final class JsonErrorReportValve extends ErrorReportValve {

    public JsonErrorReportValve() {
        setShowReport(false);
        setShowServerInfo(false);
    }

    @Override
    protected void report(Request request, Response response, Throwable throwable) {
        int status = response.getStatus();
        if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
            return;
        }
        AtomicBoolean ioAllowed = new AtomicBoolean(true);
        response.getCoyoteResponse().action(ActionCode.IS_IO_ALLOWED, ioAllowed);
        if (!ioAllowed.get()) {
            return;
        }
        try {
            response.setContentType("application/json");
            response.setCharacterEncoding("UTF-8");
        } catch (Throwable t) {
            // A response the container has locked: write what can be written.
        }
        try {
            Writer writer = response.getReporter();
            if (writer != null) {
                writer.write(body(status));
                response.finishResponse();
            }
        } catch (IOException | IllegalStateException e) {
            // The client went away, or the response was taken over: nothing more to say.
        }
    }

    /** {@code {"type":"error","error":{"type":…,"message":…}}}, from the status alone. */
    static String body(int status) {
        String type = switch (status) {
            case 400 -> "invalid_request_error";
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 413 -> "request_too_large";
            case 429 -> "rate_limit_error";
            default -> status >= 500 ? "api_error" : "invalid_request_error";
        };
        String message = switch (status) {
            case 400 -> "the request could not be read: malformed request line, header or URI";
            case 404 -> "not found";
            case 405 -> "method not allowed";
            case 408 -> "the request took too long to arrive";
            case 413 -> "request too large";
            case 414 -> "request URI too long";
            case 431 -> "request headers too large";
            case 501 -> "not implemented";
            case 505 -> "HTTP version not supported";
            default -> status >= 500 ? "the proxy failed" : "the request was refused";
        };
        return "{\"type\":\"error\",\"error\":{\"type\":\"" + type + "\",\"message\":\"" + message + "\"}}";
    }
}
