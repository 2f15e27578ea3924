package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.it.support.LogCapture;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyWar;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jboss.arquillian.container.test.api.Deployer;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * On an app server a wrong setting fails the deployment, and the server log has the setting's
 * message on a line of its own (logger {@code creddy.settings}), naming the JNDI name it came from:
 * the same words the standalone jar prints before it exits with 2.
 */
@ExtendWith(ArquillianExtension.class)
@Timeout(120)
class BadSettingIT {

    private static final String NAME = "bad-setting";

    @Deployment(name = NAME, managed = false, testable = false)
    static WebArchive proxy() {
        Map<String, String> settings = new HashMap<>(ProxyWar.standardSettings());
        settings.put("max-ttl", "48x");
        return ProxyWar.withSettings(NAME + ".war", settings);
    }

    @ArquillianResource
    Deployer deployer;

    @Test
    void theDeploymentFailsNamingTheSettingAndItsJndiName() throws Exception {
        LogCapture logs = LogCapture.start();
        try {
            try {
                deployer.deploy(NAME);
            } catch (RuntimeException e) {
                // Some containers report the failed start to the deployer; embedded Tomcat only logs it.
            }
            List<String> problems = logs.messagesOf("creddy.settings");
            assertEquals(List.of("max-ttl (from JNDI java:comp/env/creddy/max-ttl): \"48x\" is not valid: unknown unit \"x\" "
                    + "in duration \"48x\": use ns, us, ms, s, m or h"), problems);
        } finally {
            logs.close();
            try {
                deployer.undeploy(NAME);
            } catch (RuntimeException e) {
                // Nothing was deployed: the failure above is the point.
            }
        }
        ProxyHttp http = new ProxyHttp("http://127.0.0.1:" + System.getProperty("creddy.it.port", "18080") + "/" + NAME);
        int status = http.send(http.request("/health").GET().build()).statusCode();
        assertTrue(status == 404 || status == 503, "the failed context does not serve: " + status);
    }
}
