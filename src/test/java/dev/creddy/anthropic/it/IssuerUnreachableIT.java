package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyWar;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URL;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An issuer that cannot be reached, with no keys cached: an identity token can be neither accepted nor
 * refused, so the exchange answers 503 with a retry hint, and nothing reaches the upstream. The proxy
 * deploys and serves {@code crd_} tokens all the same.
 */
@ExtendWith(ArquillianExtension.class)
@Timeout(60)
class IssuerUnreachableIT {

    /** A loopback port nobody listens on (bound, then released). */
    private static final int CLOSED_PORT = closedPort();
    /** Well-formed and signed-looking; it is never checked, since no key can be fetched. */
    private static final String SOME_JWT = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJpc3MiOiJodHRwOi8vMTI3LjAuMC4xOjEifQ.c2lnbmF0dXJl";

    private static int closedPort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Deployment(testable = false)
    static WebArchive proxy() {
        Map<String, String> settings = new HashMap<>(ProxyWar.standardSettings());
        settings.put("oidc-issuer", issuer());
        settings.put("oidc-audience", "creddy-anthropic-proxy");
        settings.put("oidc-direct-use", "true");
        return ProxyWar.withSettings("issuer-unreachable.war", settings);
    }

    private static String issuer() {
        return "http://127.0.0.1:" + CLOSED_PORT;
    }

    @ArquillianResource
    URL base;

    private static String tokenFrom(String issuer) {
        String payload = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(("{\"iss\":\"" + issuer
                + "\",\"sub\":\"a\",\"aud\":\"creddy-anthropic-proxy\",\"exp\":4102444800}").getBytes());
        return SOME_JWT.split("\\.")[0] + "." + payload + ".c2lnbmF0dXJl";
    }

    @Test
    void anIdentityTokenGets503WithARetryHintAndNothingIsForwarded() throws Exception {
        FakeAnthropic.shared().reset();
        ProxyHttp http = new ProxyHttp(base);
        String jwt = tokenFrom(issuer());
        HttpResponse<String> exchanged = http.send(http.request("/v1/tokens").header("Authorization", "Bearer " + jwt)
                .POST(HttpRequest.BodyPublishers.noBody()).build());
        assertEquals(503, exchanged.statusCode(), exchanged.body());
        assertEquals("true", exchanged.headers().firstValue("x-should-retry").orElseThrow());
        assertEquals("5", exchanged.headers().firstValue("retry-after").orElseThrow());
        assertTrue(exchanged.body().contains("\"api_error\""), exchanged.body());
        assertTrue(exchanged.body().contains("cannot be reached"), exchanged.body());

        HttpResponse<String> direct = http.listModels(jwt);
        assertEquals(503, direct.statusCode(), direct.body());
        assertEquals("5", direct.headers().firstValue("retry-after").orElseThrow());
        assertEquals(0, FakeAnthropic.shared().pendingRequests());

        // A token from an issuer that is not trusted at all is refused outright, outage or not.
        assertEquals(401, http.listModels(tokenFrom("https://elsewhere.example")).statusCode());
        assertEquals(200, http.listModels(http.issueToken("unaffected", "5m")).statusCode());
    }
}
