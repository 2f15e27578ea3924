package dev.creddy.anthropic.signin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.config.EnvironmentSettingsSource;
import dev.creddy.anthropic.config.RedisSettings;
import dev.creddy.anthropic.config.Settings;
import dev.creddy.anthropic.config.SettingsLoader;
import dev.creddy.anthropic.it.support.RedisServer;
import dev.creddy.anthropic.token.RedisTokenStore;
import dev.creddy.anthropic.token.TokenSecrets;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two proxy instances (each its own Redis token store and link) sharing one real redis-server: a sign-in
 * begun on one is approved and exchanged on the other, a refresh works on either and after a restart, and
 * two refreshes racing with one refresh token on the two instances cannot both win.
 */
@Timeout(60)
class TwoInstanceSignInTest {

    @RegisterExtension
    static final RedisServer REDIS = RedisServer.start();

    private final Settings settings = new SettingsLoader(List.of(new EnvironmentSettingsSource(Map.of(
            "CREDDY_DEVICE_SIGN_IN", "on", "CREDDY_DEVICE_ACCESS_TTL", "1h", "CREDDY_DEVICE_SESSION_MAX", "3h")))).load();
    private final Person alice = new Person("https://proxy.example", "alice", "alice", List.of());
    private final List<RedisTokenStore> stores = new ArrayList<>();

    @BeforeEach
    void flush() throws Exception {
        REDIS.call("FLUSHALL");
    }

    @AfterEach
    void close() {
        stores.forEach(RedisTokenStore::close);
    }

    /** One instance: its own token store and Redis connection, the sign-in store on that connection. */
    private DeviceSignIn instance() {
        RedisTokenStore store = new RedisTokenStore(new RedisSettings(URI.create(REDIS.url()), Optional.empty(),
                Duration.ofSeconds(2), Duration.ofSeconds(1)), new TokenSecrets(), Clock.systemUTC());
        store.start();
        stores.add(store);
        return new DeviceSignIn(new RedisSignInStore(store.link(), store.keys(), Clock.systemUTC()), store, settings,
                Clock.systemUTC());
    }

    private static DeviceSignIn.Outcome.Tokens tokens(DeviceSignIn.Outcome outcome) {
        return assertInstanceOf(DeviceSignIn.Outcome.Tokens.class, outcome, outcome.toString());
    }

    private static DeviceSignIn.Outcome.Refused refused(DeviceSignIn.Outcome outcome) {
        return assertInstanceOf(DeviceSignIn.Outcome.Refused.class, outcome, outcome.toString());
    }

    @Test
    void aSignInBegunOnOneInstanceIsFinishedAndRefreshedOnTheOtherAndAfterARestart() {
        DeviceSignIn a = instance();
        DeviceSignIn b = instance();
        DeviceSignIn.Started started = a.start().orElseThrow();
        assertTrue(b.isPending(started.userCode()), "the other instance sees the code");
        assertTrue(b.decide(started.userCode(), true, alice));
        DeviceSignIn.Outcome.Tokens first = tokens(a.exchangeDeviceCode(started.deviceCode()));
        assertEquals("invalid_grant", refused(b.exchangeDeviceCode(started.deviceCode())).code(), "single-use on every instance");

        DeviceSignIn.Outcome.Tokens second = tokens(b.refresh(first.refreshToken()));
        stores.get(0).close();
        stores.remove(0);
        DeviceSignIn restarted = instance();
        DeviceSignIn.Outcome.Tokens third = tokens(restarted.refresh(second.refreshToken()));
        assertTrue(stores.get(0).validate(third.access().secret()).isPresent());

        assertEquals("invalid_grant", refused(b.refresh(first.refreshToken())).code(), "a reused one, on any instance");
        assertEquals("invalid_grant", refused(restarted.refresh(third.refreshToken())).code(), "the whole chain ended");
        assertTrue(stores.get(0).validate(third.access().secret()).isEmpty(), "and its access token was revoked");
    }

    @Test
    void twoRefreshesRacingWithOneRefreshTokenOnTwoInstancesCannotBothWin() throws Exception {
        DeviceSignIn a = instance();
        DeviceSignIn b = instance();
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 20; round++) {
                DeviceSignIn.Started started = a.start().orElseThrow();
                assertTrue(a.decide(started.userCode(), true, alice));
                String refresh = tokens(b.exchangeDeviceCode(started.deviceCode())).refreshToken();
                CountDownLatch go = new CountDownLatch(1);
                Future<DeviceSignIn.Outcome> onA = threads.submit(() -> {
                    go.await();
                    return a.refresh(refresh);
                });
                Future<DeviceSignIn.Outcome> onB = threads.submit(() -> {
                    go.await();
                    return b.refresh(refresh);
                });
                go.countDown();
                List<DeviceSignIn.Outcome> outcomes = List.of(onA.get(), onB.get());
                long won = outcomes.stream().filter(DeviceSignIn.Outcome.Tokens.class::isInstance).count();
                assertEquals(1, won, "round " + round + ": " + outcomes);
            }
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void endingASubjectsSessionsOnOneInstanceRefusesTheirRefreshOnTheOther() {
        DeviceSignIn a = instance();
        DeviceSignIn b = instance();
        DeviceSignIn.Started started = a.start().orElseThrow();
        assertTrue(a.decide(started.userCode(), true, alice));
        DeviceSignIn.Outcome.Tokens signedIn = tokens(a.exchangeDeviceCode(started.deviceCode()));
        assertEquals(1, b.endSessionsOf("alice", Optional.empty()));
        assertEquals("invalid_grant", refused(a.refresh(signedIn.refreshToken())).code());
    }
}
