package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyHttp.Issued;
import dev.creddy.anthropic.it.support.ProxyWar;
import dev.creddy.anthropic.it.support.RedisServer;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.StringReader;
import java.net.URL;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 16: {@code redis-revoke-wait-replicas=1} against a real master and replica, two redis-server
 * processes. A revocation answers 204 only once the replica has it (its key is gone there at the
 * moment of the 204); with the replica frozen (SIGSTOP: its replication link stays open and
 * acknowledges nothing), the revocation answers 503 after the wait, saying it stands on the primary,
 * and it does: the token is refused at once. Sent again once the replica is back, it answers 404 and
 * the replica has it.
 */
@ExtendWith(ArquillianExtension.class)
@Timeout(120)
class RedisRevokeWaitIT {

    private static final FakeAnthropic UPSTREAM = FakeAnthropic.shared();
    private static final Duration WAIT = Duration.ofSeconds(1);

    private static RedisServer master;
    private static RedisServer replica;

    /** Both servers, started by the deployment method before any test; the replica in sync with the master. */
    private static synchronized RedisServer master() {
        if (master == null) {
            master = RedisServer.start();
            replica = RedisServer.start(List.of("--replicaof", "127.0.0.1", Integer.toString(master.port())));
        }
        return master;
    }

    @Deployment(testable = false)
    static WebArchive instance() {
        Map<String, String> settings = new HashMap<>(ProxyWar.standardSettings());
        settings.put("token-store", "redis");
        settings.put("redis-url", master().url());
        settings.put("redis-command-timeout", "2s");
        settings.put("redis-revoke-wait-replicas", "1");
        settings.put("redis-revoke-wait-timeout", "1s");
        return ProxyWar.withSettings("redis-revoke-wait.war", settings);
    }

    @AfterAll
    static void stopRedis() throws InterruptedException {
        try {
            if (replica != null) {
                replica.close();
            }
        } finally {
            if (master != null) {
                master.close();
            }
        }
    }

    @ArquillianResource
    URL url;

    private ProxyHttp proxy;

    @BeforeEach
    void connectAndAwaitTheReplica() throws Exception {
        UPSTREAM.reset();
        proxy = new ProxyHttp(url);
        await("the replica is in sync with the master", Duration.ofSeconds(30),
                () -> String.valueOf(replica.call("INFO", "replication")).contains("master_link_status:up")
                        && String.valueOf(master.call("INFO", "replication")).contains("connected_slaves:1"));
    }

    @AfterEach
    void thawTheReplica() throws Exception {
        replica.thaw();
    }

    @Test
    void aRevocationAnswers204OnlyOnceTheReplicaHasIt() throws Exception {
        for (int i = 0; i < 5; i++) {
            Issued token = proxy.issue("revoke-wait-" + i, "10m");
            assertEquals(200, proxy.listModels(token.token()).statusCode());
            await("the replica has the token", Duration.ofSeconds(10), () -> exists(replica, token) == 1L);

            HttpResponse<String> revoked = proxy.revoke(token.id());
            assertEquals(204, revoked.statusCode(), revoked.body());
            assertEquals(0L, exists(replica, token), "at the 204, the replica has the revocation: a failover now keeps it");
            assertEquals(401, proxy.listModels(token.token()).statusCode());
        }
        assertEquals(404, proxy.revoke("tok_AAAAAAAAAAAAAAAA").statusCode(), "an unknown id, with the replica there: 404");
    }

    @Test
    void withoutTheReplicaTheRevocationStandsOnThePrimaryAnd503SaysSo() throws Exception {
        Issued token = proxy.issue("revoke-wait-frozen", "10m");
        assertEquals(200, proxy.listModels(token.token()).statusCode());
        await("the replica has the token", Duration.ofSeconds(10), () -> exists(replica, token) == 1L);

        replica.freeze();
        long started = System.nanoTime();
        HttpResponse<String> unconfirmed = proxy.revoke(token.id());
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertEquals(503, unconfirmed.statusCode(), unconfirmed.body());
        assertTrue(took.compareTo(WAIT) >= 0, "answered after the wait, not before: " + took);
        JsonObject error = json(unconfirmed.body()).getJsonObject("error");
        assertEquals("api_error", error.getString("type"));
        assertEquals("the token is revoked on the Redis primary, and every instance refuses it now, but only 0 of the 1 "
                + "replica(s) redis-revoke-wait-replicas asks for acknowledged the revocation within 1s: a failover now could "
                + "bring the token back; send the DELETE again until it answers 204 or 404", error.getString("message"));
        assertEquals("1", unconfirmed.headers().firstValue("retry-after").orElse(null));
        assertEquals("true", unconfirmed.headers().firstValue("x-should-retry").orElse(null));
        assertTrue(!unconfirmed.body().contains(token.token()), "no secret in the answer");
        assertEquals(401, proxy.listModels(token.token()).statusCode(), "the revocation stands on the primary");
        assertEquals(0L, exists(master, token));

        HttpResponse<String> stillFrozen = proxy.revoke(token.id());
        assertEquals(503, stillFrozen.statusCode(), "sent again while the replica is still away: not confirmed either");
        assertTrue(json(stillFrozen.body()).getJsonObject("error").getString("message")
                .startsWith("no live token has this id on the Redis primary, but only 0 of the 1 replica(s)"), stillFrozen.body());

        replica.thaw();
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        HttpResponse<String> again;
        do {
            again = proxy.revoke(token.id());
            assertTrue(again.statusCode() == 503 || again.statusCode() == 404, again.statusCode() + ": " + again.body());
            assertTrue(System.nanoTime() - end < 0, "no 404 within 30 s of the replica's return: " + again.body());
        } while (again.statusCode() != 404);
        assertEquals(0L, exists(replica, token), "once the retry says 404, the replica has the revocation");
    }

    private static long exists(RedisServer server, Issued token) throws Exception {
        return (Long) server.call("EXISTS", "creddy:token:{" + token.id() + "}");
    }

    private static JsonObject json(String body) {
        return Json.createReader(new StringReader(body)).readObject();
    }

    private static void await(String what, Duration deadline, Callable<Boolean> condition) throws Exception {
        long end = System.nanoTime() + deadline.toNanos();
        while (!condition.call()) {
            if (System.nanoTime() - end > 0) {
                throw new AssertionError("not within " + deadline + ": " + what);
            }
            Thread.sleep(50);
        }
    }
}
