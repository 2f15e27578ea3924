package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.errors.ServiceUnavailableException;
import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.LogCapture;
import dev.creddy.anthropic.it.support.ProxyHttp;
import java.net.URL;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A deployment without the real key deploys anyway: health says why, forwarding answers 503.
 * Open issuance lets it issue tokens without an issuer key.
 */
@ExtendWith(ArquillianExtension.class)
@Timeout(60)
class UnconfiguredIT {

    @Deployment(testable = false)
    static WebArchive proxy() {
        return dev.creddy.anthropic.it.support.ProxyWar.withSettings("unconfigured.war", Map.of(
                "upstream-url", FakeAnthropic.shared().baseUrl(),
                "open-issuance", "true"));
    }

    @ArquillianResource
    URL base;

    private static final LogCapture LOGS = LogCapture.start();

    @AfterAll
    static void stopCapture() {
        LOGS.close();
    }

    @Test
    void healthNamesTheMissingKeyAndForwardingIs503() throws Exception {
        FakeAnthropic.shared().reset();
        ProxyHttp http = new ProxyHttp(base);
        HttpResponse<String> health = http.send(http.request("/health").GET().build());
        assertEquals(503, health.statusCode());
        assertTrue(health.body().contains("anthropic-api-key"), health.body());

        HttpResponse<String> issued = http.send(http.request("/v1/tokens").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"ttl\":\"5m\",\"agent_name\":\"open\"}")).build());
        assertEquals(201, issued.statusCode(), "open issuance needs no issuer key");
        String token = issued.body().replaceAll(".*\"token\":\"(crd_[^\"]+)\".*", "$1");

        HttpResponse<String> forwarded = http.send(http.request("/v1/messages").header("x-api-key", token)
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build());
        assertEquals(503, forwarded.statusCode());
        assertTrue(forwarded.body().contains("\"api_error\""), forwarded.body());
        assertEquals("false", forwarded.headers().firstValue("x-should-retry").orElseThrow(), "only the operator can fix this");
        assertEquals(0, FakeAnthropic.shared().pendingRequests());

        // The SDK retries a 503 unless told not to: with two retries allowed, it still asks once.
        AnthropicClient client = AnthropicOkHttpClient.builder().baseUrl(http.base()).apiKey(token).maxRetries(2)
                .timeout(Duration.ofSeconds(20)).build();
        long before = LOGS.awaitAuditCount("rejected", "/v1/models", 503, 0);
        ServiceUnavailableException e = assertThrows(ServiceUnavailableException.class, () -> client.models().list());
        assertEquals(List.of("false"), e.headers().values("x-should-retry"));
        assertEquals(before + 1, LOGS.awaitAuditCount("rejected", "/v1/models", 503, before + 1),
                "requests that reached the proxy");
    }

    @Test
    void readinessNamesTheConfiguration() throws Exception {
        ProxyHttp http = new ProxyHttp(base);
        HttpResponse<String> ready = http.send(http.request("/health/ready").GET().build());
        assertEquals(503, ready.statusCode());
        assertTrue(ready.body().startsWith("{\"status\":\"unavailable\",\"failing\":[\"configuration\"],\"checks\":"
                + "{\"configuration\":{\"status\":\"unavailable\",\"reason\":\"no Anthropic API key is configured"), ready.body());
        // The checks, then the price table's version (issue 19), which readiness reports whatever the checks say.
        assertTrue(ready.body().contains("\"token_registry\":{\"status\":\"ok\"},\"upstream_client\":{\"status\":\"ok\"}},"
                + "\"price_table\":{\"version\":\""), ready.body());
        assertTrue(ready.body().matches(".*\"price_table\":\\{\"version\":\"[0-9a-f]+\",\"origin\":\"built-in\",\"models\":[0-9]+}}"),
                ready.body());
    }
}
