package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.HeldUpstream;
import dev.creddy.anthropic.it.support.Poll;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyWar;
import dev.creddy.anthropic.it.support.RedisServer;
import dev.creddy.anthropic.it.support.RunningJar;
import dev.creddy.anthropic.it.support.SseClient;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.StringReader;
import java.net.URL;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.OperateOnDeployment;
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
 * Concurrency caps and revocation that reach running streams, across two instances of the WAR on
 * one real redis-server (and the standalone jar as a third, for a crash): {@code max_concurrent}
 * holds across instances as seen at the fake upstream, a client that hangs up gives its slot back,
 * a killed instance's slots come back within the lease, and a token revoked on B ends its stream on
 * A. A trusts its validation cache for 30 s, so a stream that ends sooner was ended by the
 * revocation channel.
 */
@ExtendWith(ArquillianExtension.class)
@Timeout(180)
class EnforcementRedisIT {

    private static final Duration LEASE = Duration.ofSeconds(3);
    /** How soon a revocation must end a stream on another instance: the channel is immediate, the machine is busy. */
    private static final Duration REVOCATION_BOUND = Duration.ofSeconds(5);
    private static final FakeAnthropic UPSTREAM = FakeAnthropic.shared();

    private static RedisServer redis;

    private static synchronized RedisServer redis() {
        if (redis == null) {
            redis = RedisServer.start();
        }
        return redis;
    }

    private static WebArchive instance(String name, String cacheTtl) {
        Map<String, String> settings = new HashMap<>(ProxyWar.standardSettings());
        settings.put("token-store", "redis");
        settings.put("redis-url", redis().url());
        settings.put("redis-cache-ttl", cacheTtl);
        settings.put("concurrency-lease", "3s");
        return ProxyWar.withSettings(name, settings);
    }

    @Deployment(name = "a", order = 1, testable = false)
    static WebArchive instanceA() {
        return instance("enforce-a.war", "30s");
    }

    @Deployment(name = "b", order = 2, testable = false)
    static WebArchive instanceB() {
        return instance("enforce-b.war", "1s");
    }

    @AfterAll
    static void stopRedis() throws InterruptedException {
        if (redis != null) {
            redis.close();
        }
    }

    @ArquillianResource
    @OperateOnDeployment("a")
    URL urlA;

    @ArquillianResource
    @OperateOnDeployment("b")
    URL urlB;

    private ProxyHttp a;
    private ProxyHttp b;
    private final List<RunningJar> jars = new ArrayList<>();

    @BeforeEach
    void connect() {
        UPSTREAM.reset();
        a = new ProxyHttp(urlA);
        b = new ProxyHttp(urlB);
    }

    @AfterEach
    void stopJars() throws Exception {
        for (RunningJar jar : jars) {
            jar.stop();
        }
        UPSTREAM.reset();
    }

    private String cappedToken(ProxyHttp on, String agent, int maxConcurrent) throws Exception {
        HttpResponse<String> issued = on.requestToken("{\"ttl\":\"10m\",\"agent_name\":\"" + agent + "\",\"max_concurrent\":"
                + maxConcurrent + "}");
        assertEquals(201, issued.statusCode(), issued.body());
        JsonObject body = Json.createReader(new StringReader(issued.body())).readObject();
        assertEquals(maxConcurrent, body.getInt("max_concurrent"), "the response shows the cap");
        return body.getString("token");
    }

    private static HttpResponse<String> message(ProxyHttp on, String token) throws Exception {
        return on.send(on.request("/v1/messages").header("x-api-key", token).header("anthropic-version", "2023-06-01")
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(HeldUpstream.messageBody()))
                .build());
    }

    private static String idOf(String issuedBody) {
        return Json.createReader(new StringReader(issuedBody)).readObject().getString("id");
    }

    @Test
    void twentyConcurrentRequestsOverTwoInstancesNeverHaveMoreThanTwoInFlight() throws Exception {
        HeldUpstream upstream = new HeldUpstream(Duration.ofMillis(200), 12);
        UPSTREAM.respondWith(upstream);
        String token = cappedToken(a, "twenty", 2);
        AtomicInteger refused = new AtomicInteger();
        ExecutorService clients = Executors.newFixedThreadPool(20);
        try {
            List<Callable<Integer>> requests = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                ProxyHttp on = i % 2 == 0 ? a : b;
                requests.add(() -> {
                    // Each client retries its refusals until it is let in: the slots go round, the cap holds.
                    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
                    while (true) {
                        HttpResponse<String> response = message(on, token);
                        if (response.statusCode() != 429 || System.nanoTime() > deadline) {
                            return response.statusCode();
                        }
                        refused.incrementAndGet();
                        assertTrue(response.body().contains("\"type\":\"rate_limit_error\"") && response.body().contains("max_concurrent"),
                                response.body());
                        assertEquals("1", response.headers().firstValue("retry-after").orElse(null));
                        Thread.sleep(20);
                    }
                });
            }
            for (Future<Integer> status : clients.invokeAll(requests)) {
                assertEquals(200, status.get());
            }
        } finally {
            clients.shutdownNow();
        }
        assertTrue(upstream.maxInFlight() <= 2, "the upstream held " + upstream.maxInFlight() + " at once");
        assertTrue(upstream.maxInFlight() >= 1);
        assertTrue(refused.get() > 0, "twenty at once against a cap of two: some were refused");
    }

    @Test
    void aClientThatHangsUpMidStreamGetsItsSlotBack() throws Exception {
        HeldUpstream upstream = new HeldUpstream(Duration.ZERO, 12);
        UPSTREAM.respondWith(upstream);
        String token = cappedToken(a, "hangs-up", 1);
        try (SseClient stream = SseClient.open(a.base(), token, HeldUpstream.streamBody())) {
            assertEquals(200, stream.status());
            assertNotNull(stream.awaitLine("event: message_start", Duration.ofSeconds(10)));
            HttpResponse<String> busy = message(b, token);
            assertEquals(429, busy.statusCode(), "the stream on A holds the one slot, also for B: " + busy.body());
        }
        assertTrue(upstream.awaitCutOff(Duration.ofSeconds(10)), "the client's hang-up reached the upstream");
        HttpResponse<String> after = Poll.until(Duration.ofSeconds(10), () -> message(b, token), r -> r.statusCode() == 200);
        assertEquals(200, after.statusCode(), "the slot came back: " + after.body());
    }

    @Test
    void aKilledInstanceGivesItsSlotsBackWithinTheLease() throws Exception {
        HeldUpstream upstream = new HeldUpstream(Duration.ZERO, 12);
        UPSTREAM.respondWith(upstream);
        String token = cappedToken(a, "crash", 1);
        RunningJar jar = RunningJar.start(List.of("--proxy", "--addr", "127.0.0.1:0", "--api-key", ProxyWar.REAL_KEY,
                "--upstream", UPSTREAM.baseUrl(), "--issuer-key", ProxyWar.ISSUER_KEY, "--redis-url", redis.url(),
                "--concurrency-lease", "3s"));
        jars.add(jar);
        String jarUrl = jar.awaitListening();
        SseClient stream = SseClient.open(jarUrl, token, HeldUpstream.streamBody());
        assertEquals(200, stream.status());
        assertNotNull(stream.awaitLine("event: message_start", Duration.ofSeconds(10)));
        assertEquals(429, message(a, token).statusCode(), "the jar's stream holds the slot");
        // Outlive a renewal or two, so the slot is held by renewals rather than by its first lease.
        Thread.sleep(LEASE.toMillis());
        assertEquals(429, message(a, token).statusCode(), "a running stream's lease is renewed");
        jar.kill();
        long killed = System.nanoTime();
        HttpResponse<String> after = Poll.until(LEASE.plusSeconds(10), () -> message(a, token), r -> r.statusCode() == 200);
        long waited = System.nanoTime() - killed;
        assertEquals(200, after.statusCode(), "the dead instance's slot came back: " + after.body());
        assertTrue(waited <= LEASE.plusSeconds(10).toNanos(), "within the lease (and slack): " + waited / 1_000_000 + " ms");
        stream.close();
    }

    @Test
    void aTokenRevokedOnBEndsItsStreamOnAWithAnErrorEvent() throws Exception {
        HeldUpstream upstream = new HeldUpstream(Duration.ZERO, 12);
        UPSTREAM.respondWith(upstream);
        HttpResponse<String> issued = a.requestToken("{\"ttl\":\"10m\",\"agent_name\":\"revoked-mid-stream\"}");
        String token = Json.createReader(new StringReader(issued.body())).readObject().getString("token");
        try (SseClient stream = SseClient.open(a.base(), token, HeldUpstream.streamBody())) {
            assertEquals(200, stream.status());
            assertNotNull(stream.awaitLine("event: content_block_delta", Duration.ofSeconds(10)));
            assertEquals(204, b.revoke(idOf(issued.body())).statusCode());
            long revoked = System.nanoTime();
            assertNotNull(stream.awaitLine("event: error", REVOCATION_BOUND), "an error event within the bound: " + stream.seen());
            String data = stream.awaitLine("data: ", Duration.ofSeconds(1));
            assertNotNull(data);
            assertTrue(data.contains("\"type\":\"error\"") && data.contains("\"type\":\"authentication_error\"")
                    && data.contains("revoked"), data);
            assertTrue(stream.awaitEnd(Duration.ofSeconds(5)), "the stream ended after the error event");
            assertTrue(System.nanoTime() - revoked < REVOCATION_BOUND.toNanos(), "within the bound");
            assertTrue(upstream.awaitCutOff(Duration.ofSeconds(10)), "the upstream saw its side cancelled");
        }
    }
}
