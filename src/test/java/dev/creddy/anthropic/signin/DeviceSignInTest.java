package dev.creddy.anthropic.signin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.config.EnvironmentSettingsSource;
import dev.creddy.anthropic.config.Settings;
import dev.creddy.anthropic.config.SettingsLoader;
import dev.creddy.anthropic.token.ManualClock;
import dev.creddy.anthropic.token.MemoryTokenStore;
import dev.creddy.anthropic.token.TokenRecord;
import dev.creddy.anthropic.token.TokenSecrets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The device flow and the refresh chain on their own, on a manual clock: the RFC 8628 answers in each
 * state, single-use device codes, rotation, reuse detection ending the chain, revocation and the
 * session's maximum ending it at the next refresh, and the person's limits by group.
 */
class DeviceSignInTest {

    private final ManualClock clock = new ManualClock(Instant.parse("2026-12-03T10:00:00Z"));
    private final MemoryTokenStore registry = new MemoryTokenStore(new TokenSecrets(), clock);
    private final Settings settings = new SettingsLoader(List.of(new EnvironmentSettingsSource(Map.of(
            "CREDDY_DEVICE_SIGN_IN", "on", "CREDDY_DEVICE_ACCESS_TTL", "1h", "CREDDY_DEVICE_SESSION_MAX", "3h",
            "CREDDY_OIDC_POLICY", "{\"group:ml-team\":{\"rpm\":7},\"agent:carol\":{\"rpm\":3}}")))).load();
    private final DeviceSignIn signIn = new DeviceSignIn(store(clock), registry, settings, clock);
    private final Person alice = new Person("https://proxy.example", "alice", "alice", List.of("ml-team"));

    /** The store these tests run on: memory here, Redis in {@link RedisDeviceSignInTest}. */
    SignInStore store(ManualClock clock) {
        return new MemorySignInStore();
    }

    @AfterEach
    void close() {
        registry.close();
    }

    private DeviceSignIn.Outcome.Refused refused(DeviceSignIn.Outcome outcome) {
        return assertInstanceOf(DeviceSignIn.Outcome.Refused.class, outcome, outcome.toString());
    }

    private DeviceSignIn.Outcome.Tokens signedIn(Person person) {
        DeviceSignIn.Started started = signIn.start().orElseThrow();
        assertTrue(signIn.decide(started.userCode(), true, person));
        clock.advance(Duration.ofSeconds(5));
        return assertInstanceOf(DeviceSignIn.Outcome.Tokens.class, signIn.exchangeDeviceCode(started.deviceCode()));
    }

    @Test
    void aDeviceCodeIsPendingThenApprovedOnceAndSingleUse() {
        DeviceSignIn.Started started = signIn.start().orElseThrow();
        assertTrue(started.userCode().matches("[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}"), started.userCode());
        assertTrue(started.deviceCode().length() >= 43, "256 bits");
        assertEquals("authorization_pending", refused(signIn.exchangeDeviceCode(started.deviceCode())).code());
        assertEquals("slow_down", refused(signIn.exchangeDeviceCode(started.deviceCode())).code(), "polled at once again");
        clock.advance(Duration.ofSeconds(5));
        assertEquals("authorization_pending", refused(signIn.exchangeDeviceCode(started.deviceCode())).code());

        assertTrue(signIn.isPending(started.userCode()));
        assertTrue(signIn.decide(started.userCode(), true, alice));
        assertFalse(signIn.decide(started.userCode(), false, alice), "decided once");
        clock.advance(Duration.ofSeconds(5));
        DeviceSignIn.Outcome.Tokens tokens = assertInstanceOf(DeviceSignIn.Outcome.Tokens.class,
                signIn.exchangeDeviceCode(started.deviceCode()));
        assertEquals(Duration.ofHours(1), tokens.expiresIn());
        assertTrue(tokens.refreshToken().startsWith("crr_"));
        TokenRecord record = registry.validate(tokens.access().secret()).orElseThrow();
        assertEquals("alice", record.agentName());
        assertEquals(List.of("ml-team"), record.identity().orElseThrow().groups());
        assertEquals(OptionalLong.of(7), record.limits().rpm(), "the group: rule");

        assertEquals("invalid_grant", refused(signIn.exchangeDeviceCode(started.deviceCode())).code(), "single-use");
        assertEquals("invalid_grant", refused(signIn.exchangeDeviceCode("made-up")).code());
    }

    @Test
    void deniedAndExpiredCodesStopTheClient() {
        DeviceSignIn.Started denied = signIn.start().orElseThrow();
        assertTrue(signIn.decide(denied.userCode(), false, alice));
        assertEquals("access_denied", refused(signIn.exchangeDeviceCode(denied.deviceCode())).code());

        DeviceSignIn.Started late = signIn.start().orElseThrow();
        clock.advance(Duration.ofMinutes(10));
        assertFalse(signIn.decide(late.userCode(), true, alice), "an expired code cannot be approved");
        DeviceSignIn.Outcome.Refused expired = refused(signIn.exchangeDeviceCode(late.deviceCode()));
        assertEquals("expired_token", expired.code());
        assertEquals(400, expired.status());
    }

    @Test
    void refreshTokensRotateAndAReusedOneEndsTheWholeChain() {
        DeviceSignIn.Outcome.Tokens first = signedIn(new Person("https://proxy.example", "carol", "carol", List.of()));
        assertEquals(OptionalLong.of(3), registry.validate(first.access().secret()).orElseThrow().limits().rpm());
        clock.advance(Duration.ofMinutes(55));
        DeviceSignIn.Outcome.Tokens second = assertInstanceOf(DeviceSignIn.Outcome.Tokens.class,
                signIn.refresh(first.refreshToken()));
        assertFalse(second.refreshToken().equals(first.refreshToken()), "rotated");
        assertFalse(second.access().secret().equals(first.access().secret()));
        clock.advance(Duration.ofMinutes(55));
        DeviceSignIn.Outcome.Tokens third = assertInstanceOf(DeviceSignIn.Outcome.Tokens.class,
                signIn.refresh(second.refreshToken()));

        DeviceSignIn.Outcome.Refused reused = refused(signIn.refresh(first.refreshToken()));
        assertEquals(401, reused.status());
        assertEquals("invalid_grant", reused.code());
        assertTrue(reused.description().contains("already used"), reused.description());
        assertEquals(Optional.empty(), registry.validate(third.access().secret()), "the chain's access token is revoked");
        assertEquals("invalid_grant", refused(signIn.refresh(third.refreshToken())).code(), "and its newest refresh token");
    }

    @Test
    void revokingASubjectEndsAllItsSessionsEvenOnesWhoseAccessTokenHasExpired() {
        DeviceSignIn.Outcome.Tokens first = signedIn(alice);
        clock.advance(Duration.ofMinutes(61));
        DeviceSignIn.Outcome.Tokens second = signedIn(alice);
        Person aliceElsewhere = new Person("https://other.example", "alice", "alice", List.of());
        DeviceSignIn.Outcome.Tokens other = signedIn(aliceElsewhere);
        DeviceSignIn.Outcome.Tokens bobs = signedIn(new Person("https://proxy.example", "bob", "bob", List.of()));

        assertEquals(List.of(second.access().record().id()), registry.revokeSubject("alice", Optional.of("https://proxy.example"))
                .stream().map(TokenRecord::id).toList(), "the live access token (the first one has expired)");
        assertEquals(2, signIn.endSessionsOf("alice", Optional.of("https://proxy.example")));
        assertEquals("invalid_grant", refused(signIn.refresh(first.refreshToken())).code(), "its access token had expired");
        assertEquals("invalid_grant", refused(signIn.refresh(second.refreshToken())).code());
        assertTrue(registry.validate(second.access().secret()).isEmpty());
        assertInstanceOf(DeviceSignIn.Outcome.Tokens.class, signIn.refresh(other.refreshToken()), "another issuer's alice");
        assertInstanceOf(DeviceSignIn.Outcome.Tokens.class, signIn.refresh(bobs.refreshToken()));
        assertEquals(0, signIn.endSessionsOf("alice", Optional.of("https://proxy.example")), "nothing left");
    }

    @Test
    void revokingTheAccessTokenEndsTheSessionAtTheNextRefresh() {
        DeviceSignIn.Outcome.Tokens tokens = signedIn(alice);
        assertTrue(registry.revoke(tokens.access().record().id()));
        clock.advance(Duration.ofMinutes(50));
        DeviceSignIn.Outcome.Refused ended = refused(signIn.refresh(tokens.refreshToken()));
        assertEquals(401, ended.status());
        assertTrue(ended.description().contains("revoked"), ended.description());
    }

    @Test
    void aSessionEndsAtItsMaximumAndAnExpiredAccessTokenStillRefreshesBeforeThat() {
        DeviceSignIn.Outcome.Tokens tokens = signedIn(alice);
        clock.advance(Duration.ofMinutes(90));
        DeviceSignIn.Outcome.Tokens later = assertInstanceOf(DeviceSignIn.Outcome.Tokens.class,
                signIn.refresh(tokens.refreshToken()), "a laptop that slept past the access token's expiry");
        clock.advance(Duration.ofMinutes(70));
        DeviceSignIn.Outcome.Tokens last = assertInstanceOf(DeviceSignIn.Outcome.Tokens.class, signIn.refresh(later.refreshToken()));
        assertTrue(last.expiresIn().compareTo(Duration.ofMinutes(21)) < 0, "never past the session's end: " + last.expiresIn());
        clock.advance(Duration.ofMinutes(25));
        DeviceSignIn.Outcome.Refused ended = refused(signIn.refresh(last.refreshToken()));
        assertTrue(ended.description().contains("device-session-max"), ended.description());
    }

    @ParameterizedTest
    @CsvSource({"wdjb-mjht, WDJB-MJHT", "WDJBMJHT, WDJB-MJHT", "'WDJB MJHT', WDJB-MJHT", "WDJA-MJHT, ''", "WDJB-MJH, ''",
            "'<script>', ''"})
    void typedCodesAreNormalized(String typed, String expected) {
        assertEquals(expected.isEmpty() ? Optional.empty() : Optional.of(expected), DeviceSignIn.normalizeUserCode(typed));
    }
}
