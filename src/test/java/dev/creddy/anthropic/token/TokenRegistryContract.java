package dev.creddy.anthropic.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What every {@link TokenRegistry} promises, whatever its store: one subclass per store runs these
 * same tests against a real instance of it.
 */
@Timeout(60)
abstract class TokenRegistryContract {

    protected final ManualClock clock = new ManualClock(Instant.parse("2026-11-26T10:00:00Z"));
    protected TokenRegistry registry;

    /** A started registry on {@code clock}, with no tokens yet. */
    protected abstract TokenRegistry open(Clock clock) throws Exception;

    /** Stops what {@link #open} started. */
    protected abstract void close(TokenRegistry registry) throws Exception;

    @BeforeEach
    void openRegistry() throws Exception {
        registry = open(clock);
    }

    @AfterEach
    void closeRegistry() throws Exception {
        if (registry != null) {
            close(registry);
        }
    }

    @Test
    void issuesWellFormedDistinctTokens() {
        IssuedToken a = registry.issue("agent-a", Duration.ofHours(1));
        IssuedToken b = registry.issue("agent-a", Duration.ofHours(1));
        assertTrue(TokenSecrets.isWellFormed(a.secret()), "crd_ + 43 base64url chars");
        assertEquals(47, a.secret().length());
        assertNotEquals(a.secret(), b.secret());
        assertNotEquals(a.record().id(), b.record().id());
        assertEquals(Instant.parse("2026-11-26T10:00:00Z"), a.record().createdAt());
        assertEquals(Instant.parse("2026-11-26T11:00:00Z"), a.record().expiresAt());
        assertFalse(a.toString().contains(a.secret().substring(4)), "toString masks the secret");
    }

    @Test
    void validatesWithTheIssuedRecord() {
        IssuedToken issued = registry.issue("agent \"quoted\" \u00e9", Duration.ofMinutes(30));
        assertEquals(issued.record(), registry.validate(issued.secret()).orElseThrow());
        assertEquals(issued.record(), registry.validate(issued.secret()).orElseThrow(), "and again, from any cache");
    }

    /** A token obtained with an identity token keeps that identity through validation and listing. */
    @Test
    void revokesEveryTokenOfOneSubjectAndNoOtherOnes() {
        AgentIdentity alice = new AgentIdentity("https://login.example/", "alice {x}", null, null, List.of(), null,
                List.of("ml-team"));
        AgentIdentity aliceElsewhere = new AgentIdentity("https://other.example/", "alice {x}", null, null, List.of(), null);
        AgentIdentity bob = new AgentIdentity("https://login.example/", "bob", null, null, List.of(), null);
        IssuedToken first = registry.issue(new TokenGrant("alice", Duration.ofHours(1), TokenLimits.NONE, Optional.of(alice)));
        IssuedToken second = registry.issue(new TokenGrant("alice", Duration.ofMinutes(5), TokenLimits.NONE, Optional.of(alice)));
        IssuedToken other = registry.issue(new TokenGrant("alice-ci", Duration.ofHours(1), TokenLimits.NONE,
                Optional.of(aliceElsewhere)));
        IssuedToken bobs = registry.issue(new TokenGrant("bob", Duration.ofHours(1), TokenLimits.NONE, Optional.of(bob)));
        IssuedToken named = registry.issue("alice {x}", Duration.ofHours(1));
        IssuedToken expired = registry.issue(new TokenGrant("alice", Duration.ofMinutes(1), TokenLimits.NONE, Optional.of(alice)));
        clock.advance(Duration.ofMinutes(2));

        List<TokenRecord> byIssuer = registry.revokeSubject("alice {x}", Optional.of("https://login.example/"));
        assertEquals(Set.of(first.record().id(), second.record().id()),
                byIssuer.stream().map(TokenRecord::id).collect(java.util.stream.Collectors.toSet()));
        assertTrue(registry.validate(first.secret()).isEmpty());
        assertTrue(registry.validate(second.secret()).isEmpty());
        assertTrue(registry.validate(other.secret()).isPresent(), "another issuer's alice");
        assertTrue(registry.validate(bobs.secret()).isPresent());
        assertTrue(registry.validate(named.secret()).isPresent(), "an agent name is not a subject");
        assertTrue(registry.validate(expired.secret()).isEmpty());
        assertFalse(registry.list(100, Optional.empty()).stream().anyMatch(r -> r.id().equals(first.record().id())));

        assertEquals(List.of(other.record().id()), registry.revokeSubject("alice {x}", Optional.empty()).stream()
                .map(TokenRecord::id).toList(), "any issuer's, without one");
        assertTrue(registry.validate(other.secret()).isEmpty());
        assertEquals(List.of(), registry.revokeSubject("alice {x}", Optional.empty()), "nothing left");
        assertEquals(List.of(), registry.revokeSubject("nobody", Optional.empty()));
        assertFalse(registry.revoke(first.record().id()), "already revoked");

        IssuedToken later = registry.issue(new TokenGrant("alice", Duration.ofHours(1), TokenLimits.NONE, Optional.of(alice)));
        assertTrue(registry.validate(later.secret()).isPresent(), "a token issued afterwards is not affected");
    }

    @Test
    void keepsTheAgentIdentity() {
        AgentIdentity full = new AgentIdentity("https://creddy.example/", "agent-7f3a", "task-42", "agent-parent-1",
                List.of("anthropic", "anthropic:claude"), "10.0.0.0/8");
        AgentIdentity bare = new AgentIdentity("https://idp.example/realms/x", "svc \"quoted\" \u00e9", null, null,
                List.of(), null);
        IssuedToken withFull = registry.issue(new TokenGrant("researcher", Duration.ofHours(1), TokenLimits.NONE,
                Optional.of(full)));
        IssuedToken withBare = registry.issue(new TokenGrant("bare", Duration.ofHours(1), TokenLimits.NONE, Optional.of(bare)));
        IssuedToken without = registry.issue("by-issuer", Duration.ofHours(1));

        assertEquals(Optional.of(full), withFull.record().identity());
        assertEquals(withFull.record(), registry.validate(withFull.secret()).orElseThrow());
        assertEquals(withBare.record(), registry.validate(withBare.secret()).orElseThrow());
        assertEquals(Optional.empty(), registry.validate(without.secret()).orElseThrow().identity());
        assertEquals(Set.of(withFull.record(), withBare.record(), without.record()),
                Set.copyOf(registry.list(10, Optional.empty())));
    }

    @Test
    void keepsEachTokensLimits() {
        TokenLimits limits = new TokenLimits(OptionalLong.of(60), OptionalLong.of(40_000), OptionalLong.of(1_000_000),
                List.of("claude-sonnet-4", "claude-haiku"));
        IssuedToken limited = registry.issue(new TokenGrant("limited", Duration.ofMinutes(30), limits));
        IssuedToken modelsOnly = registry.issue(new TokenGrant("models-only", Duration.ofMinutes(30),
                new TokenLimits(OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty(), List.of("claude-opus-4"))));
        IssuedToken unlimited = registry.issue("unlimited", Duration.ofMinutes(30));

        assertEquals(limits, limited.record().limits());
        assertEquals(limits, registry.validate(limited.secret()).orElseThrow().limits());
        assertEquals(List.of("claude-opus-4"), registry.validate(modelsOnly.secret()).orElseThrow().limits().models());
        assertEquals(TokenLimits.NONE, registry.validate(unlimited.secret()).orElseThrow().limits());
        Map<String, TokenLimits> listed = new java.util.HashMap<>();
        registry.list(10, Optional.empty()).forEach(record -> listed.put(record.agentName(), record.limits()));
        assertEquals(Map.of("limited", limits, "models-only", modelsOnly.record().limits(), "unlimited", TokenLimits.NONE),
                listed);
    }

    @Test
    void validatesUntilExpiryThenNever() {
        IssuedToken issued = registry.issue("agent", Duration.ofMinutes(30));
        assertTrue(registry.validate(issued.secret()).isPresent());
        clock.advance(Duration.ofMinutes(30).minusSeconds(1));
        assertTrue(registry.validate(issued.secret()).isPresent());
        clock.advance(Duration.ofSeconds(1));
        assertTrue(registry.validate(issued.secret()).isEmpty(), "expiry is checked on every validation");
        assertTrue(registry.list(100, Optional.empty()).isEmpty());
    }

    @Test
    void refusesUnknownAndMalformedSecrets() {
        IssuedToken issued = registry.issue("agent", Duration.ofMinutes(30));
        String tampered = issued.secret().substring(0, 46) + (issued.secret().endsWith("A") ? "B" : "A");
        assertTrue(registry.validate(tampered).isEmpty());
        assertTrue(registry.validate("crd_" + "A".repeat(43)).isEmpty());
        assertTrue(registry.validate("sk-ant-api03-whatever").isEmpty());
        assertTrue(registry.validate(issued.secret() + "x").isEmpty());
        assertTrue(registry.validate("").isEmpty());
        assertTrue(registry.validate(null).isEmpty());
    }

    @Test
    void revokesById() {
        IssuedToken keep = registry.issue("keep", Duration.ofHours(1));
        IssuedToken drop = registry.issue("drop", Duration.ofHours(1));
        assertTrue(registry.validate(drop.secret()).isPresent());
        assertTrue(registry.revoke(drop.record().id()));
        assertTrue(registry.validate(drop.secret()).isEmpty(), "refused as soon as revoke returns");
        assertFalse(registry.revoke(drop.record().id()), "a second revocation finds nothing");
        assertFalse(registry.revoke(new TokenId("tok_AAAAAAAAAAAAAAAA")), "an unknown id finds nothing");
        assertTrue(registry.validate(keep.secret()).isPresent());
        assertEquals(List.of(keep.record()), registry.list(100, Optional.empty()));
    }

    @Test
    void listsLiveTokensInPagesOrderedById() {
        List<TokenRecord> live = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            live.add(registry.issue("live-" + i, Duration.ofHours(1)).record());
        }
        registry.issue("short-lived", Duration.ofSeconds(10));
        IssuedToken revoked = registry.issue("revoked", Duration.ofHours(1));
        assertTrue(registry.revoke(revoked.record().id()));
        clock.advance(Duration.ofMinutes(1));
        live.sort(Comparator.comparing(record -> record.id().value()));

        List<TokenRecord> seen = new ArrayList<>();
        Optional<TokenId> after = Optional.empty();
        for (int pages = 0; pages < 10; pages++) {
            List<TokenRecord> page = registry.list(3, after);
            assertTrue(page.size() <= 3, "a page holds at most the limit");
            if (page.isEmpty()) {
                break;
            }
            seen.addAll(page);
            after = Optional.of(page.get(page.size() - 1).id());
        }
        assertEquals(live, seen, "every live token once, in id order; not the expired or the revoked one");
        assertEquals(live.subList(0, 3), registry.list(3, Optional.empty()), "the same first page again");
        assertEquals(live.subList(4, 7), registry.list(5, Optional.of(live.get(3).id())));
        assertEquals(List.of(), registry.list(5, Optional.of(live.get(6).id())));
    }

    @Test
    void aListLimitBelowOneIsRefused() {
        registry.issue("one", Duration.ofHours(1));
        for (int limit : new int[] {0, -1}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> registry.list(limit, Optional.empty()));
            assertTrue(e.getMessage().contains("limit"), e.getMessage());
        }
    }

    @Test
    void aReachableStoreIsAvailable() {
        assertEquals(Optional.empty(), registry.unavailableReason());
    }

    /**
     * Issuers, validators and revokers at once on one instance: every token validates until it is
     * revoked, and no validation that starts after a revocation returned accepts the token.
     */
    @Test
    @Timeout(120)
    void noTokenValidatesOnceItsRevocationReturned() throws Exception {
        int issuers = 3;
        int perIssuer = 40;
        List<IssuedToken> issued = new CopyOnWriteArrayList<>();
        Map<TokenId, Long> revokedAt = new ConcurrentHashMap<>();
        List<String> violations = new CopyOnWriteArrayList<>();
        AtomicInteger validations = new AtomicInteger();
        AtomicBoolean issuing = new AtomicBoolean(true);
        CountDownLatch firstTokens = new CountDownLatch(issuers);
        ExecutorService threads = Executors.newFixedThreadPool(issuers + 4);
        try {
            List<Future<?>> work = new ArrayList<>();
            for (int i = 0; i < issuers; i++) {
                int issuer = i;
                work.add(threads.submit(() -> {
                    for (int n = 0; n < perIssuer; n++) {
                        IssuedToken token = registry.issue("issuer-" + issuer + "-" + n, Duration.ofHours(1));
                        if (registry.validate(token.secret()).isEmpty()) {
                            violations.add("a fresh token did not validate: " + token.record().id());
                        }
                        issued.add(token);
                        if (n == 0) {
                            firstTokens.countDown();
                        }
                    }
                    return null;
                }));
            }
            assertTrue(firstTokens.await(30, TimeUnit.SECONDS));
            for (int i = 0; i < 2; i++) {
                work.add(threads.submit(() -> {
                    while (issuing.get() || revokedAt.size() < issued.size()) {
                        IssuedToken token = issued.get(ThreadLocalRandom.current().nextInt(issued.size()));
                        // Read before validating: if the revocation had returned by now, acceptance is a violation.
                        boolean revokedBefore = revokedAt.containsKey(token.record().id());
                        boolean accepted = registry.validate(token.secret()).isPresent();
                        validations.incrementAndGet();
                        if (accepted && revokedBefore) {
                            violations.add("accepted after its revocation returned: " + token.record().id());
                        }
                    }
                    return null;
                }));
            }
            for (int i = 0; i < 2; i++) {
                work.add(threads.submit(() -> {
                    while (issuing.get() || revokedAt.size() < issued.size()) {
                        for (IssuedToken token : issued) {
                            TokenId id = token.record().id();
                            if (!revokedAt.containsKey(id) && ThreadLocalRandom.current().nextInt(4) == 0) {
                                // Two revokers may race for one id: exactly one of them finds it.
                                if (registry.revoke(id) && revokedAt.putIfAbsent(id, System.nanoTime()) != null) {
                                    violations.add("revoked twice: " + id);
                                }
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> issuer : work.subList(0, issuers)) {
                issuer.get(60, TimeUnit.SECONDS);
            }
            issuing.set(false);
            for (Future<?> rest : work.subList(issuers, work.size())) {
                rest.get(60, TimeUnit.SECONDS);
            }
        } finally {
            issuing.set(false);
            threads.shutdownNow();
        }
        assertEquals(List.of(), violations);
        assertEquals(issuers * perIssuer, issued.size());
        Set<TokenId> ids = new HashSet<>();
        issued.forEach(token -> ids.add(token.record().id()));
        assertEquals(issued.size(), ids.size(), "ids are distinct");
        assertEquals(ids, revokedAt.keySet());
        assertTrue(validations.get() > issued.size(), "validators ran alongside: " + validations.get());
        for (IssuedToken token : issued) {
            assertTrue(registry.validate(token.secret()).isEmpty());
        }
        assertEquals(List.of(), registry.list(1000, Optional.empty()));
    }
}
