package dev.creddy.anthropic.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.token.IssuedToken;
import dev.creddy.anthropic.token.ManualClock;
import dev.creddy.anthropic.token.MemoryTokenStore;
import dev.creddy.anthropic.token.TokenId;
import dev.creddy.anthropic.token.TokenSecrets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TokenByIdTest {

    @ParameterizedTest
    @CsvSource({
            "tok_AAAAAAAAAAAAAAAB, tok_AAAAAAAAAAAAAAAA",
            "tok_AAAAAAAAAAAAAAA0, tok_AAAAAAAAAAAAAAA-",
            "tok_AAAAAAAAAAAAAAAa, tok_AAAAAAAAAAAAAAA_",
            "tok_AAAAAAAAAAAAAAA_, tok_AAAAAAAAAAAAAAAZ",
            "tok_AAAAAAAAAAAAAAA-, tok_AAAAAAAAAAAAAA9z",
            "tok_B---------------, tok_Azzzzzzzzzzzzzzz",
    })
    void thePredecessorIsTheLargestIdBelow(String id, String predecessor) {
        assertEquals(Optional.of(new TokenId(predecessor)), TokenById.predecessor(new TokenId(id)));
        assertTrue(predecessor.compareTo(id) < 0);
    }

    @Test
    void theSmallestIdHasNone() {
        assertEquals(Optional.empty(), TokenById.predecessor(new TokenId("tok_----------------")));
    }

    @Test
    void findsEachLiveTokenAmongMany() {
        MemoryTokenStore store = new MemoryTokenStore(new TokenSecrets(), new ManualClock(Instant.parse("2026-12-03T12:00:00Z")));
        List<IssuedToken> issued = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            issued.add(store.issue("agent-" + i, Duration.ofMinutes(5)));
        }
        for (IssuedToken token : issued) {
            assertEquals(token.record().agentName(), TokenById.find(store, token.record().id()).orElseThrow().agentName());
        }
        TokenId revoked = issued.get(7).record().id();
        store.revoke(revoked);
        assertEquals(Optional.empty(), TokenById.find(store, revoked));
    }
}
