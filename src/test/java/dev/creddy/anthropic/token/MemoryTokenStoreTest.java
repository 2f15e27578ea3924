package dev.creddy.anthropic.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class MemoryTokenStoreTest {

    /** A clock the test moves by hand. */
    private static final class ManualClock extends Clock {
        private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-11-26T10:00:00Z"));

        void advance(Duration by) {
            now.updateAndGet(t -> t.plus(by));
        }

        @Override
        public Instant instant() {
            return now.get();
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    private final ManualClock clock = new ManualClock();
    private final MemoryTokenStore store = new MemoryTokenStore(new TokenSecrets(), clock);

    @Test
    void issuesWellFormedDistinctTokens() {
        IssuedToken a = store.issue("agent-a", Duration.ofHours(1));
        IssuedToken b = store.issue("agent-a", Duration.ofHours(1));
        assertTrue(TokenSecrets.isWellFormed(a.secret()), "crd_ + 43 base64url chars");
        assertEquals(47, a.secret().length());
        assertNotEquals(a.secret(), b.secret());
        assertNotEquals(a.record().id(), b.record().id());
        assertEquals(Instant.parse("2026-11-26T11:00:00Z"), a.record().expiresAt());
        assertFalse(a.toString().contains(a.secret().substring(4)), "toString masks the secret");
    }

    @Test
    void validatesUntilExpiryThenNever() {
        IssuedToken issued = store.issue("agent", Duration.ofMinutes(30));
        assertEquals(issued.record(), store.validate(issued.secret()).orElseThrow());
        clock.advance(Duration.ofMinutes(30).minusSeconds(1));
        assertTrue(store.validate(issued.secret()).isPresent());
        clock.advance(Duration.ofSeconds(1));
        assertTrue(store.validate(issued.secret()).isEmpty());
        assertTrue(store.list(100, java.util.Optional.empty()).isEmpty());
    }

    @Test
    void refusesUnknownAndMalformedSecrets() {
        IssuedToken issued = store.issue("agent", Duration.ofMinutes(30));
        String tampered = issued.secret().substring(0, 46) + (issued.secret().endsWith("A") ? "B" : "A");
        assertTrue(store.validate(tampered).isEmpty());
        assertTrue(store.validate("sk-ant-api03-whatever").isEmpty());
        assertTrue(store.validate(issued.secret() + "x").isEmpty());
        assertTrue(store.validate("").isEmpty());
        assertTrue(store.validate(null).isEmpty());
    }

    @Test
    void revokesById() {
        IssuedToken keep = store.issue("keep", Duration.ofHours(1));
        IssuedToken drop = store.issue("drop", Duration.ofHours(1));
        assertTrue(store.revoke(drop.record().id()));
        assertFalse(store.revoke(drop.record().id()));
        assertTrue(store.validate(drop.secret()).isEmpty());
        assertTrue(store.validate(keep.secret()).isPresent());
        assertEquals(1, store.list(100, java.util.Optional.empty()).size());
    }

    @Test
    void purgeForgetsExpiredRecords() throws ReflectiveOperationException {
        store.issue("short", Duration.ofSeconds(10));
        store.issue("long", Duration.ofHours(1));
        clock.advance(Duration.ofMinutes(1));
        store.purgeExpired();
        assertEquals(1, storedRecords().size());
        assertEquals("long", store.list(100, java.util.Optional.empty()).get(0).agentName());
    }

    @Test
    void purgeReportsEachExpiredTokenOnceAndNoRevokedOne() {
        List<TokenExpired> reported = new ArrayList<>();
        MemoryTokenStore reporting = new MemoryTokenStore(new TokenSecrets(), clock, reported::add);
        IssuedToken shortLived = reporting.issue("short", Duration.ofSeconds(10));
        IssuedToken revoked = reporting.issue("revoked", Duration.ofSeconds(10));
        reporting.issue("long", Duration.ofHours(1));
        assertTrue(reporting.revoke(revoked.record().id()));
        clock.advance(Duration.ofMinutes(1));
        reporting.purgeExpired();
        reporting.purgeExpired();
        assertEquals(List.of(new TokenExpired(shortLived.record())), reported);
    }

    @Test
    void countsOnlyLiveTokensAsActive() {
        assertEquals(0, store.activeCount());
        store.issue("short", Duration.ofSeconds(10));
        IssuedToken revoked = store.issue("revoked", Duration.ofHours(1));
        store.issue("long", Duration.ofHours(1));
        assertEquals(3, store.activeCount());
        store.revoke(revoked.record().id());
        assertEquals(2, store.activeCount());
        clock.advance(Duration.ofSeconds(10));
        assertEquals(1, store.activeCount(), "an expired token is not active, purged or not");
    }

    @Test
    void keepsOnlyDigestsOfSecrets() throws ReflectiveOperationException {
        IssuedToken issued = store.issue("agent", Duration.ofHours(1));
        Map<String, TokenRecord> stored = storedRecords();
        assertEquals(1, stored.size());
        String key = stored.keySet().iterator().next();
        assertEquals(TokenSecrets.digest(issued.secret()), key);
        assertFalse(key.contains(issued.secret().substring(4)));
    }

    @SuppressWarnings("unchecked")
    private Map<String, TokenRecord> storedRecords() throws ReflectiveOperationException {
        Field field = MemoryTokenStore.class.getDeclaredField("byDigest");
        field.setAccessible(true);
        return (Map<String, TokenRecord>) field.get(store);
    }
}
