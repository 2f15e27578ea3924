package dev.creddy.anthropic.bench;

import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.ee10.proxy.AsyncProxyServlet;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * The peer proxy of the overhead part: Jetty 12's {@code AsyncProxyServlet} (non-blocking I/O both
 * ways) doing the proxy's job minus the token registry: it accepts one static client token in
 * {@code x-api-key} (else 401 in Anthropic's error shape), drops the client's credentials and sends
 * the real key. Jetty's defaults otherwise (its thread pool, its Via and X-Forwarded headers), with
 * {@code maxConnections} per upstream equal to the proxy's default pool (1,024).
 *
 * <p>Usage: {@code JettyProxy --upstream http://127.0.0.1:PORT --key REAL --token CLIENT [--max-connections N]};
 * prints {@code listening on 127.0.0.1:PORT}.
 */
public final class JettyProxy {

    private JettyProxy() {
    }

    /** The servlet: a static token check, then Jetty's own forwarding. */
    public static final class KeySwap extends AsyncProxyServlet.Transparent {
        private static final byte[] UNAUTHORIZED = ("{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\","
                + "\"message\":\"invalid token\"}}").getBytes(StandardCharsets.UTF_8);
        private String token;
        private String realKey;

        @Override
        public void init() throws ServletException {
            super.init();
            token = getServletConfig().getInitParameter("token");
            realKey = getServletConfig().getInitParameter("realKey");
        }

        @Override
        protected void service(HttpServletRequest request, HttpServletResponse response) throws ServletException, IOException {
            if (!token.equals(request.getHeader("x-api-key"))) {
                response.setStatus(401);
                response.setContentType("application/json");
                response.getOutputStream().write(UNAUTHORIZED);
                return;
            }
            super.service(request, response);
        }

        @Override
        protected void addProxyHeaders(HttpServletRequest clientRequest, Request proxyRequest) {
            super.addProxyHeaders(clientRequest, proxyRequest);
            proxyRequest.headers(headers -> {
                headers.remove("authorization");
                headers.put("x-api-key", realKey);
            });
        }
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> args = new HashMap<>();
        for (int i = 0; i + 1 < argv.length; i += 2) {
            args.put(argv[i].replaceFirst("^--", ""), argv[i + 1]);
        }
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(Integer.parseInt(args.getOrDefault("port", "0")));
        server.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler();
        context.setContextPath("/");
        ServletHolder proxy = new ServletHolder(KeySwap.class);
        proxy.setInitParameter("proxyTo", args.get("upstream"));
        proxy.setInitParameter("maxConnections", args.getOrDefault("max-connections", "1024"));
        proxy.setInitParameter("token", args.get("token"));
        proxy.setInitParameter("realKey", args.get("key"));
        proxy.setAsyncSupported(true);
        context.addServlet(proxy, "/*");
        server.setHandler(context);
        server.start();
        System.out.println("listening on 127.0.0.1:" + connector.getLocalPort());
        System.out.flush();
        server.join();
    }
}
