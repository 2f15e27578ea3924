package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.Jmx;
import dev.creddy.anthropic.it.support.Poll;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyWar;
import dev.creddy.anthropic.it.support.Scrape;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Set;
import java.util.stream.Collectors;
import javax.management.ObjectName;
import org.jboss.arquillian.container.test.api.Deployer;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Deploying, using and undeploying the WAR twice in one server leaves nothing behind: no MBean under
 * the context, no thread of the proxy's, and the second deployment starts from zero.
 */
@ExtendWith(ArquillianExtension.class)
@Timeout(180)
class RedeployIT {

    private static final String NAME = "redeploy";
    private static final String MBEANS = "creddy:context=\"/" + NAME + "\",*";

    @Deployment(name = NAME, managed = false, testable = false)
    static WebArchive proxy() {
        return ProxyWar.withSettings(NAME + ".war", ProxyWar.standardSettings());
    }

    @ArquillianResource
    Deployer deployer;

    /** The threads the proxy starts: its timers and HttpClient's reactor. */
    private static Set<Thread> proxyThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("creddy-") || t.getName().startsWith("httpclient-"))
                .collect(Collectors.toSet());
    }

    @Test
    void undeploymentLeavesNoMBeanAndNoThreadBehind() throws Exception {
        Set<Thread> before = proxyThreads();
        assertTrue(Jmx.names(MBEANS).isEmpty(), "nothing under the context before the first deployment");
        ProxyHttp http = new ProxyHttp("http://127.0.0.1:" + System.getProperty("creddy.it.port", "18080") + "/" + NAME);
        for (int round = 1; round <= 2; round++) {
            deployer.deploy(NAME);
            try {
                FakeAnthropic.shared().reset();
                String token = http.issueToken("redeploy-" + round, "5m");
                HttpResponse<String> counted = http.send(http.request("/v1/messages/count_tokens").header("x-api-key", token)
                        .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build());
                assertEquals(200, counted.statusCode(), counted.body());
                FakeAnthropic.shared().takeRequest();
                Set<String> started = proxyThreads().stream().filter(t -> !before.contains(t)).map(Thread::getName)
                        .collect(Collectors.toSet());
                for (String prefix : new String[] {"creddy-upstream-deadlines", "creddy-token-purge", "httpclient-"}) {
                    assertTrue(started.stream().anyMatch(n -> n.startsWith(prefix)), "the deployment runs " + prefix + ": " + started);
                }
                Set<String> names = Jmx.names(MBEANS).stream().map(ObjectName::getCanonicalName).collect(Collectors.toSet());
                assertTrue(names.stream().anyMatch(n -> n.contains("type=UpstreamPool")), names.toString());
                assertTrue(names.stream().anyMatch(n -> n.contains("name=requests")), names.toString());
                String agent = "redeploy-" + round;
                double requests = Poll.until(Duration.ofSeconds(10), () -> Scrape.parse(http.send(http.request("/metrics")
                        .header("Authorization", "Bearer " + ProxyWar.ISSUER_KEY).GET().build()).body())
                        .value("creddy_requests_total", "agent", agent, "endpoint", "count_tokens", "method", "POST", "status", "200"),
                        value -> value == 1.0);
                assertEquals(1.0, requests, "each deployment counts from zero");
            } finally {
                deployer.undeploy(NAME);
            }
            // Undeployment is synchronous for MBeans; a stopped thread may take a moment to end.
            Set<ObjectName> left = Jmx.names(MBEANS);
            assertTrue(left.isEmpty(), "MBeans left after undeployment " + round + ": " + left);
            Set<Thread> leftThreads = Poll.until(Duration.ofSeconds(20), () -> {
                Set<Thread> running = proxyThreads();
                running.removeAll(before);
                return running;
            }, Set::isEmpty);
            assertTrue(leftThreads.isEmpty(), "threads left after undeployment " + round + ": " + leftThreads);
        }
    }
}
