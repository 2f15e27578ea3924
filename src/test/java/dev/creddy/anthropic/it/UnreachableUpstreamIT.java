package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyWar;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URL;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** An upstream that refuses connections: 502 in Anthropic's shape. */
@ExtendWith(ArquillianExtension.class)
@Timeout(60)
class UnreachableUpstreamIT {

    @Deployment(testable = false)
    static WebArchive proxy() {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return ProxyWar.withSettings("unreachable.war", Map.of(
                "anthropic-api-key", ProxyWar.REAL_KEY,
                "upstream-url", "http://127.0.0.1:" + closedPort,
                "issuer-key", ProxyWar.ISSUER_KEY));
    }

    @ArquillianResource
    URL base;

    @Test
    void refusedConnectionsAre502() throws Exception {
        ProxyHttp http = new ProxyHttp(base);
        String token = http.issueToken("unreachable-it", "5m");
        HttpResponse<String> response = http.send(http.request("/v1/messages").header("x-api-key", token)
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m\",\"max_tokens\":1,\"messages\":[]}")).build());
        assertEquals(502, response.statusCode());
        assertEquals("true", response.headers().firstValue("x-should-retry").orElseThrow(), "the upstream may be back soon");
        assertEquals("application/json", response.headers().firstValue("content-type").orElseThrow());
        assertTrue(response.body().startsWith("{\"type\":\"error\",\"error\":{\"type\":\"api_error\""), response.body());
        assertTrue(response.body().contains("could not connect"), response.body());
    }
}
