package dev.creddy.anthropic.it;

import dev.creddy.anthropic.it.support.ProxyWar;
import dev.creddy.anthropic.it.support.RedisServer;
import java.net.URL;
import java.util.HashMap;
import java.util.Map;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.OperateOnDeployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link ObjectOwnershipContract} on two instances sharing a real redis-server: objects are created
 * through one and reached (or refused) through the other, so the owner records are Redis's, not an
 * instance's.
 */
@ExtendWith(ArquillianExtension.class)
class ObjectOwnershipRedisIT extends ObjectOwnershipContract {

    private static RedisServer redis;

    private static synchronized RedisServer redis() {
        if (redis == null) {
            redis = RedisServer.start();
        }
        return redis;
    }

    private static WebArchive instance(String name) {
        Map<String, String> settings = new HashMap<>(ProxyWar.standardSettings());
        settings.put("token-store", "redis");
        settings.put("redis-url", redis().url());
        return ProxyWar.withSettings(name, settings);
    }

    @Deployment(name = "a", order = 1, testable = false)
    static WebArchive instanceA() {
        return instance("owners-redis-a.war");
    }

    @Deployment(name = "b", order = 2, testable = false)
    static WebArchive instanceB() {
        return instance("owners-redis-b.war");
    }

    @AfterAll
    static void stopRedis() throws InterruptedException {
        if (redis != null) {
            redis.close();
        }
    }

    @ArquillianResource
    @OperateOnDeployment("a")
    URL a;

    @ArquillianResource
    @OperateOnDeployment("b")
    URL b;

    private static String trimmed(URL url) {
        String text = url.toString();
        return text.endsWith("/") ? text.substring(0, text.length() - 1) : text;
    }

    @Override
    String creatingBase() {
        return trimmed(a);
    }

    @Override
    String readingBase() {
        return trimmed(b);
    }
}
