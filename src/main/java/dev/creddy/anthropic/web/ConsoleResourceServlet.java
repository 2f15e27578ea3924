package dev.creddy.anthropic.web;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.api.ApiResponses;
import jakarta.inject.Inject;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Serves the operator console's static files (HTML, CSS, JavaScript modules, images) from the WAR's
 * {@code /console/} directory. The application maps {@code /} to its own 404 (nothing outside the API
 * is forwarded or served), so the container's default servlet never sees these paths; serving them
 * here also keeps the set of types and names small and explicit. {@code /console} redirects to
 * {@code /console/} so the page's relative URLs resolve. Headers come from {@link ConsoleFilter}.
 * Stateless and thread-safe.
 */
@WebServlet(name = "console-resources", urlPatterns = {"/console", "/console/*"})
public class ConsoleResourceServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private static final String ROOT = "/console/";
    /** Plain names in plain directories: no dot segments, no backslashes, nothing hidden. */
    private static final Pattern NAME = Pattern.compile("([a-z0-9][a-z0-9-]*/)*[a-z0-9][a-z0-9.-]*\\.[a-z]+");
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "css", "text/css; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "svg", "image/svg+xml",
            "png", "image/png",
            "ico", "image/x-icon");

    @Inject
    transient ApiResponses responses;

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String method = request.getMethod();
        if (!method.equals("GET") && !method.equals("HEAD")) {
            response.setHeader("Allow", "GET, HEAD");
            responses.error(response, ApiError.of(405, "method " + method + " is not allowed here: use GET"));
            return;
        }
        String path = request.getPathInfo();
        if (path == null) {
            response.setStatus(HttpServletResponse.SC_MOVED_PERMANENTLY);
            response.setHeader("Location", "console/");
            return;
        }
        String name = path.equals("/") ? "index.html" : path.substring(1);
        String extension = name.substring(name.lastIndexOf('.') + 1);
        String type = TYPES.get(extension);
        if (!NAME.matcher(name).matches() || type == null) {
            notFound(response);
            return;
        }
        try (InputStream in = getServletContext().getResourceAsStream(ROOT + name)) {
            if (in == null) {
                notFound(response);
                return;
            }
            byte[] body = in.readAllBytes();
            response.setStatus(HttpServletResponse.SC_OK);
            response.setContentType(type);
            response.setContentLength(body.length);
            if (method.equals("GET")) {
                response.getOutputStream().write(body);
            }
        }
    }

    private void notFound(HttpServletResponse response) throws IOException {
        responses.error(response, ApiError.of(404, "not found: the console has no such file"));
    }
}
