package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.it.support.ProxyWar;
import dev.creddy.anthropic.it.support.RawHttp;
import dev.creddy.anthropic.it.support.RawHttp.Answer;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The WAR itself, in a plain embedded Tomcat (no launcher valves): a refusal of a request that
 * carries a body says {@code Connection: close}, so the client does not reuse a connection whose body
 * the proxy never read, and a container that honours it need not swallow the rest (issue 15, S5).
 */
@ExtendWith(ArquillianExtension.class)
@Timeout(60)
class RefusalClosesIT {

    @Deployment(testable = false)
    static WebArchive proxy() {
        return ProxyWar.withSettings("refusal-closes.war", ProxyWar.standardSettings());
    }

    @ArquillianResource
    URL base;

    private Answer send(String method, String path, String headers, String body) throws Exception {
        String prefix = base.getPath().endsWith("/") ? base.getPath().substring(0, base.getPath().length() - 1) : base.getPath();
        String request = method + " " + prefix + path + " HTTP/1.1\r\nHost: x\r\n" + headers
                + (body == null ? "" : "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n")
                + "\r\n" + (body == null ? "" : body);
        return RawHttp.exchange(base.getHost(), base.getPort(), request.getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(5));
    }

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource({
            "POST, /v1/tokens, 401",
            "PUT, /v1/tokens, 405",
            "POST, /v1/tokens/tok_unknown, 404",
            "POST, /v1/usage, 405",
            "POST, /health, 405",
            "POST, /metrics, 405",
            "POST, /elsewhere, 404",
    })
    void aRefusalOfARequestWithABodySaysConnectionClose(String method, String path, int status) throws Exception {
        Answer answer = send(method, path, "", "{\"agent_name\":\"x\"}");
        assertEquals(status, answer.status(), answer.text());
        assertTrue(answer.head().toLowerCase(Locale.ROOT).contains("connection: close"), answer.text());
        assertTrue(answer.body().startsWith("{\"type\":\"error\""), answer.text());
    }

    @Test
    void aRefusalWithoutABodyKeepsTheConnection() throws Exception {
        Answer answer = send("GET", "/v1/tokens", "", null);
        assertEquals(401, answer.status(), answer.text());
        assertFalse(answer.head().toLowerCase(Locale.ROOT).contains("connection: close"), answer.text());
        assertFalse(answer.closed(), "nothing was left unread: the connection stays open for the next request");
    }
}
