package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.Jmx;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyWar;
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

/** With {@code metrics=off}: no metric MBeans, {@code /metrics} is 404, and the proxy forwards as ever. */
@ExtendWith(ArquillianExtension.class)
@Timeout(60)
class MetricsOffIT {

    @Deployment(testable = false)
    static WebArchive proxy() {
        Map<String, String> settings = new HashMap<>(ProxyWar.standardSettings());
        settings.put("metrics", "off");
        return ProxyWar.withSettings("metrics-off.war", settings);
    }

    @ArquillianResource
    URL base;

    @Test
    void nothingIsShownAndForwardingWorks() throws Exception {
        FakeAnthropic.shared().reset();
        ProxyHttp http = new ProxyHttp(base);
        String token = http.issueToken("unmetered", "5m");
        HttpResponse<String> counted = http.send(http.request("/v1/messages/count_tokens").header("x-api-key", token)
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build());
        assertEquals(200, counted.statusCode());
        FakeAnthropic.shared().takeRequest();

        HttpResponse<String> metrics = http.send(http.request("/metrics")
                .header("Authorization", "Bearer " + ProxyWar.ISSUER_KEY).GET().build());
        assertEquals(404, metrics.statusCode());
        assertTrue(metrics.body().contains("metrics are off"), metrics.body());

        assertTrue(Jmx.names("creddy:name=*,context=\"/metrics-off\",*").isEmpty(), "no metric MBeans");
        assertFalse(Jmx.names("creddy:type=UpstreamPool,context=\"/metrics-off\"").isEmpty(),
                "the pool's own MBean is not a metric and stays");
    }
}
