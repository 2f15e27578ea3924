package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyWar;
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

/** Without an issuer key and without open issuance, nobody can issue tokens. */
@ExtendWith(ArquillianExtension.class)
@Timeout(60)
class IssuanceDisabledIT {

    @Deployment(testable = false)
    static WebArchive proxy() {
        return ProxyWar.withSettings("closed.war", Map.of(
                "anthropic-api-key", ProxyWar.REAL_KEY,
                "upstream-url", FakeAnthropic.shared().baseUrl()));
    }

    @ArquillianResource
    URL base;

    @Test
    void issuanceIs403AndSaysHowToEnableIt() throws Exception {
        ProxyHttp http = new ProxyHttp(base);
        HttpResponse<String> response = http.send(http.request("/v1/tokens")
                .header("Authorization", "Bearer anything").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build());
        assertEquals(403, response.statusCode());
        assertEquals("false", response.headers().firstValue("x-should-retry").orElseThrow(), "a retry cannot help");
        assertTrue(response.body().contains("\"permission_error\""), response.body());
        assertTrue(response.body().contains("issuer-key"), response.body());
    }
}
