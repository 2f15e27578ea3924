package dev.creddy.anthropic.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What only the memory store does; the registry contract is {@link MemoryTokenStoreContractTest}. */
class MemoryTokenStoreTest {

    private final ManualClock clock = new ManualClock(Instant.parse("2026-11-26T10:00:00Z"));
    private final MemoryTokenStore store = new MemoryTokenStore(new TokenSecrets(), clock);

    @Test
    void purgeForgetsExpiredRecords() throws ReflectiveOperationException {
        store.issue("short", Duration.ofSeconds(10));
        store.issue("long", Duration.ofHours(1));
        clock.advance(Duration.ofMinutes(1));
        store.purgeExpired();
        assertEquals(1, storedRecords().size());
        assertEquals("long", store.list(100, Optional.empty()).get(0).agentName());
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
