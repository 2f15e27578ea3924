package dev.creddy.anthropic.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.token.ManualClock;
import dev.creddy.anthropic.token.TokenId;
import dev.creddy.anthropic.token.TokenLimits;
import dev.creddy.anthropic.token.TokenRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What every {@link UsageLedger} promises, whatever its store: one subclass per store runs these same
 * tests against a real instance of it. Time is the test's: every call is given {@code clock}'s now.
 */
@Timeout(60)
abstract class UsageLedgerContract {

    static final Duration RETENTION = Duration.ofDays(7);
    private static final Instant START = Instant.parse("2026-11-26T10:00:10Z");
    private static final AtomicInteger NEXT_ID = new AtomicInteger();

    protected final ManualClock clock = new ManualClock(START);
    protected UsageLedger ledger;

    /** A started ledger with {@link #RETENTION}, empty. */
    protected abstract UsageLedger open() throws Exception;

    /** Waits until what was recorded so far has been added, for ledgers that add it later. */
    protected abstract void settle(UsageLedger ledger) throws Exception;

    /** Stops what {@link #open} started. */
    protected abstract void close(UsageLedger ledger) throws Exception;

    @BeforeEach
    void openLedger() throws Exception {
        ledger = open();
    }

    @AfterEach
    void closeLedger() throws Exception {
        if (ledger != null) {
            close(ledger);
        }
    }

    static TokenRecord token(String agent, Long rpm, Long tpm, Long maxTokensTotal) {
        String id = String.format("tok_contract%08d", NEXT_ID.incrementAndGet());
        return new TokenRecord(new TokenId(id), agent, START.minusSeconds(10), START.plus(Duration.ofDays(1)),
                new TokenLimits(optional(rpm), optional(tpm), optional(maxTokensTotal), List.of()));
    }

    private static OptionalLong optional(Long value) {
        return value == null ? OptionalLong.empty() : OptionalLong.of(value);
    }

    private Admission admit(TokenRecord token) {
        return ledger.admit(token, clock.instant());
    }

    private void record(TokenRecord token, long input, long output) {
        ledger.record(token, new Usage(1, input, output, 0, 0, 0), clock.instant());
    }

    @Test
    void admitsUpToRpmThenRefusesUntilTheNextMinute() {
        TokenRecord token = token("rpm", 3L, null, null);
        Instant resets = Instant.parse("2026-11-26T10:01:00Z");
        for (int i = 1; i <= 3; i++) {
            assertEquals(new Admission(Optional.empty(), i, 0, 0, resets), admit(token));
        }
        clock.advance(Duration.ofSeconds(49));
        assertEquals(new Admission(Optional.of(Admission.RPM), 3, 0, 0, resets), admit(token), "refused, counting nothing");
        assertEquals(new Admission(Optional.of(Admission.RPM), 3, 0, 0, resets), admit(token));

        clock.advance(Duration.ofSeconds(1));
        assertEquals(new Admission(Optional.empty(), 1, 0, 0, Instant.parse("2026-11-26T10:02:00Z")), admit(token),
                "a new window at 10:01:00");
        assertEquals(1, ledger.usageOf(token, clock.instant()).requestsInWindow());
    }

    @Test
    void refusesOverTpmOnceTheWindowsRecordedTokensReachIt() throws Exception {
        TokenRecord token = token("tpm", null, 1000L, null);
        assertTrue(admit(token).admitted());
        record(token, 600, 399);
        settle(ledger);
        assertTrue(admit(token).admitted(), "999 < 1000");
        record(token, 1, 0);
        settle(ledger);
        Admission refused = admit(token);
        assertEquals(Optional.of(Admission.TPM), refused.refusedBy());
        assertEquals(1000, refused.tokensInWindow());
        assertEquals(2, refused.requestsInWindow());
        assertEquals(Instant.parse("2026-11-26T10:01:00Z"), refused.windowResetsAt());

        clock.advance(Duration.ofMinutes(1));
        Admission next = admit(token);
        assertTrue(next.admitted());
        assertEquals(0, next.tokensInWindow());
        assertEquals(1000, next.tokensTotal());
    }

    @Test
    void holdsTheBudgetAcrossWindows() throws Exception {
        TokenRecord token = token("budget", null, null, 1000L);
        assertTrue(admit(token).admitted());
        ledger.record(token, new Usage(1, 300, 100, 50, 50, 0), clock.instant());
        clock.advance(Duration.ofMinutes(7));
        assertTrue(admit(token).admitted(), "500 of 1000 used");
        ledger.record(token, new Usage(1, 200, 299, 0, 0, 0), clock.instant());
        clock.advance(Duration.ofHours(2));
        settle(ledger);
        assertTrue(admit(token).admitted(), "999 of 1000 used");
        ledger.record(token, Usage.ofTokens(0, 5, 0, 0), clock.instant());
        settle(ledger);
        for (int minute = 0; minute < 3; minute++) {
            Admission refused = admit(token);
            assertEquals(Optional.of(Admission.MAX_TOKENS_TOTAL), refused.refusedBy(), "in every later window");
            assertEquals(1004, refused.tokensTotal());
            clock.advance(Duration.ofMinutes(1));
        }
    }

    @Test
    void namesTheBudgetFirstThenTpmThenRpm() throws Exception {
        TokenRecord everything = token("all", 1L, 10L, 10L);
        TokenRecord windowOnly = token("window", 1L, 10L, 1000L);
        for (TokenRecord token : List.of(everything, windowOnly)) {
            assertTrue(admit(token).admitted());
            record(token, 10, 0);
        }
        settle(ledger);
        assertEquals(Optional.of(Admission.MAX_TOKENS_TOTAL), admit(everything).refusedBy());
        assertEquals(Optional.of(Admission.TPM), admit(windowOnly).refusedBy());
    }

    @Test
    void neverRefusesATokenWithoutLimits() throws Exception {
        TokenRecord token = token("free", null, null, null);
        for (int i = 1; i <= 300; i++) {
            Admission admission = admit(token);
            assertTrue(admission.admitted());
            assertEquals(i, admission.requestsInWindow());
            record(token, 1_000_000, 1_000_000);
        }
        settle(ledger);
        assertEquals(600_000_000L, ledger.usageOf(token, clock.instant()).total().tokens());
    }

    @Test
    void admitsExactlyRpmUnderConcurrency() throws Exception {
        TokenRecord token = token("race", 100L, null, null);
        List<Admission> admissions = raceAdmissions(List.of(ledger), token, 8, 50);
        assertEquals(100, admissions.stream().filter(Admission::admitted).count());
        assertEquals(List.of(Optional.of(Admission.RPM)),
                admissions.stream().filter(a -> !a.admitted()).map(Admission::refusedBy).distinct().toList());
        assertEquals(100, ledger.usageOf(token, clock.instant()).requestsInWindow());
    }

    /** {@code threads} threads, each admitting {@code each} times on the ledgers in turn, all starting at once. */
    static List<Admission> raceAdmissions(List<UsageLedger> ledgers, TokenRecord token, int threads, int each) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<List<Admission>>> work = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                UsageLedger ledger = ledgers.get(t % ledgers.size());
                work.add(pool.submit(() -> {
                    go.await();
                    List<Admission> mine = new ArrayList<>();
                    for (int i = 0; i < each; i++) {
                        mine.add(ledger.admit(token, START));
                    }
                    return mine;
                }));
            }
            go.countDown();
            List<Admission> all = new ArrayList<>();
            for (Future<List<Admission>> thread : work) {
                all.addAll(thread.get(30, TimeUnit.SECONDS));
            }
            return all;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void totalsEqualWhatWasRecordedFieldByField() throws Exception {
        TokenRecord token = token("totals", null, null, null);
        Random random = new Random(6);
        List<Usage> used = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            used.add(new Usage(1, random.nextInt(100_000), random.nextInt(10_000), random.nextInt(5_000),
                    random.nextInt(50_000), random.nextInt(4) == 0 ? 1 : 0));
        }
        Usage expected = used.stream().reduce(Usage.ZERO, Usage::plus);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> work = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                List<Usage> share = used.subList(t * 100, (t + 1) * 100);
                work.add(pool.submit(() -> share.forEach(usage -> ledger.record(token, usage, clock.instant()))));
            }
            for (Future<?> thread : work) {
                thread.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        settle(ledger);
        UsageLedger.TokenUsage usage = ledger.usageOf(token, clock.instant());
        assertEquals(expected, usage.total());
        assertEquals(expected.tokens(), usage.tokensInWindow());
        assertEquals(0, usage.requestsInWindow(), "requests count in the window at admission only");
        assertEquals(List.of(new UsageLedger.UsageLine(token.id().value(), "totals", expected)),
                ledger.report(Optional.empty(), START, START.plusSeconds(1)));
    }

    /** Issue 15, S10: numbers near the range of a long, from a buggy or hostile upstream. */
    @Test
    void usageNearTheRangeOfALongIsHeldToTheCeilingAndKeepsTheBudgetShut() throws Exception {
        TokenRecord token = token("huge", null, null, 1_000L);
        Usage absurd = new Usage(1, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE - 1, 0);
        ledger.record(token, absurd, clock.instant());
        ledger.record(token, absurd, clock.instant());
        ledger.record(token, new Usage(1, -5, -1, 0, 0, Long.MIN_VALUE), clock.instant());
        settle(ledger);
        long ceiling = UsageCounts.MAX_PER_RECORD;
        Usage expected = new Usage(3, 2 * ceiling, 2 * ceiling, 2 * ceiling, 2 * ceiling, 0);
        UsageLedger.TokenUsage usage = ledger.usageOf(token, clock.instant());
        assertEquals(expected, usage.total());
        assertEquals(8 * ceiling, usage.tokensInWindow());
        Admission refused = admit(token);
        assertEquals(Optional.of(Admission.MAX_TOKENS_TOTAL), refused.refusedBy());
        assertEquals(8 * ceiling, refused.tokensTotal());
        assertEquals(List.of(new UsageLedger.UsageLine(token.id().value(), "huge", expected)),
                ledger.report(Optional.empty(), START, START.plusSeconds(1)));
    }

    @Test
    void knowsNothingOfATokenThatUsedNothing() {
        TokenRecord token = token("idle", 5L, null, null);
        assertEquals(new UsageLedger.TokenUsage(Usage.ZERO, 0, 0, Instant.parse("2026-11-26T10:01:00Z")),
                ledger.usageOf(token, clock.instant()));
    }

    @Test
    void reportsEachTokenOverTheHoursTheWindowOverlaps() throws Exception {
        TokenRecord a1 = token("agent-a", null, null, null);
        TokenRecord a2 = token("agent-a", null, null, null);
        TokenRecord b = token("agent-b", null, null, null);
        record(a1, 100, 10); // 10:00
        record(b, 7, 7);
        clock.advance(Duration.ofMinutes(90)); // 11:30
        record(a1, 200, 20);
        record(a2, 1, 1);
        clock.advance(Duration.ofMinutes(100)); // 13:10
        record(b, 5, 5);
        settle(ledger);

        Instant at10 = Instant.parse("2026-11-26T10:00:00Z");
        Instant at12 = Instant.parse("2026-11-26T12:00:00Z");
        assertEquals(List.of(line(a1, 2, 300, 30), line(a2, 1, 1, 1), line(b, 1, 7, 7)),
                ledger.report(Optional.empty(), at10, at12));
        assertEquals(List.of(line(a1, 1, 200, 20), line(a2, 1, 1, 1)),
                ledger.report(Optional.of("agent-a"), Instant.parse("2026-11-26T11:59:00Z"), at12),
                "the minute 11:59 overlaps the hour 11:00");
        assertEquals(List.of(line(a1, 1, 100, 10)),
                ledger.report(Optional.of("agent-a"), at10, Instant.parse("2026-11-26T10:00:01Z")));
        assertEquals(List.of(line(b, 2, 12, 12)),
                ledger.report(Optional.of("agent-b"), at10, at10.plus(Duration.ofHours(4))));
        assertEquals(List.of(line(b, 1, 5, 5)), ledger.report(Optional.empty(), at12, at12.plus(Duration.ofHours(5))),
                "12:00 had nothing, 13:00 had b");
        assertEquals(List.of(), ledger.report(Optional.of("agent-c"), at10, at12), "an agent with no usage");
        assertEquals(List.of(), ledger.report(Optional.empty(), at12, at12.plus(Duration.ofHours(1))), "an hour with none");
        assertEquals(List.of(), ledger.report(Optional.empty(), at10, at10), "an empty window overlaps no hour");
    }

    @Test
    void refusesReportWindowsItCannotAnswer() {
        Instant from = Instant.parse("2026-11-26T10:30:00Z");
        assertEquals(List.of(), ledger.report(Optional.empty(), from, from.plus(RETENTION)), "the retention, off the hour");
        IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                () -> ledger.report(Optional.empty(), from, from.plus(RETENTION).plus(Duration.ofHours(1))));
        assertEquals("the report window spans 170 hours; usage is kept for 168 hours, so a report may span at most 169",
                tooLong.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ledger.report(Optional.empty(), from, from.minusSeconds(1)));
    }

    /**
     * Issue 16: pages read one after another give the whole report, in order, each page within its
     * limit and {@code next} present exactly while lines follow, including for tokens that used
     * something only in a later hour than most, and for agent names whose order differs between
     * UTF-16 and UTF-8 (U+FFFD and an emoji).
     */
    @Test
    void pagesThroughAReportInTheOrderOfItsBytes() throws Exception {
        List<String> agents = List.of("agent-b", "agent-a", "\uD83D\uDE00-bot", "\uFFFD-bot", "agent");
        List<TokenRecord> tokens = new ArrayList<>();
        for (int i = 0; i < 15; i++) {
            tokens.add(token(agents.get(i % agents.size()), null, null, null));
        }
        for (int i = 0; i < tokens.size(); i++) {
            if (i % 3 != 2) {
                record(tokens.get(i), i + 1, 1); // 10:00, two thirds of them
            }
        }
        clock.advance(Duration.ofMinutes(70)); // 11:10
        for (int i = 0; i < tokens.size(); i++) {
            if (i % 2 == 0) {
                record(tokens.get(i), 1000, 2);
            }
        }
        settle(ledger);
        Instant from = Instant.parse("2026-11-26T10:00:00Z");
        Instant to = Instant.parse("2026-11-26T12:00:00Z");

        List<UsageLedger.UsageLine> expected = new ArrayList<>();
        for (int i = 0; i < tokens.size(); i++) {
            boolean first = i % 3 != 2;
            boolean second = i % 2 == 0;
            if (first || second) {
                expected.add(line(tokens.get(i), (first ? 1 : 0) + (second ? 1 : 0), (first ? i + 1 : 0) + (second ? 1000 : 0),
                        (first ? 1 : 0) + (second ? 2 : 0)));
            }
        }
        expected.sort((a, b) -> {
            int byAgent = Arrays.compareUnsigned(utf8(a.agentName()), utf8(b.agentName()));
            return byAgent != 0 ? byAgent : Arrays.compareUnsigned(utf8(a.tokenId()), utf8(b.tokenId()));
        });
        assertEquals(expected, ledger.report(Optional.empty(), from, to), "the whole report");

        for (int limit : List.of(1, 2, 4, 7, expected.size(), expected.size() + 1)) {
            List<UsageLedger.UsageLine> read = new ArrayList<>();
            Optional<UsageLedger.ReportKey> after = Optional.empty();
            int pages = 0;
            UsageLedger.UsagePage page;
            do {
                page = ledger.report(Optional.empty(), from, to, after, limit);
                assertTrue(page.lines().size() <= limit, "limit " + limit + ": " + page);
                read.addAll(page.lines());
                after = page.next();
                assertTrue(++pages <= expected.size() + 1, "limit " + limit + ": the pages do not end");
            } while (page.hasMore());
            assertEquals(expected, read, "limit " + limit);
            assertEquals((expected.size() + limit - 1) / limit, pages, "limit " + limit + ": no empty last page");
        }

        List<UsageLedger.UsageLine> agentA = expected.stream().filter(line -> line.agentName().equals("agent-a")).toList();
        assertEquals(2, agentA.size(), "tokens 1 and 6 (11 used nothing)");
        UsageLedger.UsagePage firstOfA = ledger.report(Optional.of("agent-a"), from, to, Optional.empty(), 1);
        assertEquals(agentA.subList(0, 1), firstOfA.lines());
        UsageLedger.UsagePage restOfA = ledger.report(Optional.of("agent-a"), from, to, firstOfA.next(), 100);
        assertEquals(agentA.subList(1, 2), restOfA.lines());
        assertEquals(Optional.empty(), restOfA.next());
        assertEquals(agentA, ledger.report(Optional.of("agent-a"), from, to,
                Optional.of(new UsageLedger.ReportKey("agent", "tok_zzzzzzzzzzzzzzzz")), 100).lines(),
                "after a line of an agent before the one asked for: all of its lines");
        assertEquals(List.of(), ledger.report(Optional.of("agent-a"), from, to,
                Optional.of(new UsageLedger.ReportKey("agent-b", "tok_0")), 100).lines(),
                "after a line of an agent after it: none");
    }

    private static byte[] utf8(String text) {
        return text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    private static UsageLedger.UsageLine line(TokenRecord token, long requests, long input, long output) {
        return new UsageLedger.UsageLine(token.id().value(), token.agentName(), new Usage(requests, input, output, 0, 0, 0));
    }

    // --- issue 19: dollar budgets ----------------------------------------------------------------

    static TokenRecord budgeted(String agent, long maxCostMicros) {
        String id = String.format("tok_contract%08d", NEXT_ID.incrementAndGet());
        return new TokenRecord(new TokenId(id), agent, START.minusSeconds(10), START.plus(Duration.ofDays(1)),
                new TokenLimits(OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty(), List.of(), List.of(),
                        maxCostMicros > 0 ? OptionalLong.of(maxCostMicros) : OptionalLong.empty(), OptionalLong.empty()));
    }

    @Test
    void aLifetimeBudgetAdmitsWhileSpentAndHeldAreBelowItAndNeverResets() throws Exception {
        TokenRecord token = budgeted("agent-a", 10_000);
        SpendAdmission first = ledger.reserve(token, OptionalLong.empty(), 6_000, clock.instant());
        assertTrue(first.admitted());
        SpendAdmission second = ledger.reserve(token, OptionalLong.empty(), 6_000, clock.instant());
        assertTrue(second.admitted(), "6000 held is below 10000: the second may overshoot by its reservation");
        SpendAdmission third = ledger.reserve(token, OptionalLong.empty(), 1, clock.instant());
        assertEquals(Optional.of(SpendAdmission.MAX_COST_USD), third.refusedBy());
        assertEquals(10_000, third.budgetMicros());
        assertEquals(12_000, third.reservedMicros());
        assertEquals(null, third.resetsAt(), "a lifetime budget never resets");
        assertEquals(new UsageLedger.Spend(0, 12_000, 0, 0), ledger.spendOf(token, clock.instant()));
        ledger.settle(token, first.hold(), 2_500, clock.instant());
        ledger.settle(token, second.hold(), 3_000, clock.instant());
        settle(ledger);
        assertEquals(new UsageLedger.Spend(5_500, 0, 0, 0), ledger.spendOf(token, clock.instant()));
        assertTrue(ledger.reserve(token, OptionalLong.empty(), 1, clock.instant()).admitted(), "5500 spent of 10000");
    }

    @Test
    void concurrentReservationsOverspendByAtMostOneReservation() throws Exception {
        long budget = 50_000;
        long estimate = 4_000;
        TokenRecord token = budgeted("agent-c", budget);
        ExecutorService pool = Executors.newFixedThreadPool(20);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                results.add(pool.submit(() -> {
                    go.await();
                    SpendAdmission admission = ledger.reserve(token, OptionalLong.of(budget), estimate, clock.instant());
                    if (admission.admitted()) {
                        // Each request costs no more than it reserved.
                        ledger.settle(token, admission.hold(), estimate - 1, clock.instant());
                    }
                    return admission.admitted();
                }));
            }
            go.countDown();
            int admitted = 0;
            for (Future<Boolean> result : results) {
                admitted += result.get(30, TimeUnit.SECONDS) ? 1 : 0;
            }
            settle(ledger);
            UsageLedger.Spend spend = ledger.spendOf(token, clock.instant());
            assertTrue(spend.tokenSpent() <= budget + estimate, spend + " over the bound");
            assertTrue(spend.agentSpent() <= budget + estimate, spend + " over the bound");
            assertEquals(admitted * (estimate - 1), spend.tokenSpent());
            assertTrue(admitted >= budget / estimate, admitted + " admitted: the budget must not refuse early");
            assertEquals(0, spend.tokenReserved());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void anAgentsBudgetRollsOverTwentyFourHoursAcrossItsTokens() throws Exception {
        TokenRecord one = budgeted("agent-r", 0);
        TokenRecord two = budgeted("agent-r", 0);
        OptionalLong perDay = OptionalLong.of(20_000);
        SpendAdmission a = ledger.reserve(one, perDay, 15_000, clock.instant());
        assertTrue(a.admitted());
        ledger.settle(one, a.hold(), 20_000, clock.instant());
        settle(ledger);
        SpendAdmission refused = ledger.reserve(two, perDay, 1, clock.instant());
        assertEquals(Optional.of(SpendAdmission.AGENT_USD_PER_DAY), refused.refusedBy());
        assertEquals(20_000, refused.spentMicros());
        assertEquals(Instant.parse("2026-11-27T10:00:00Z"), refused.resetsAt(), "the 10:00 hour leaves the window a day later");
        assertEquals(new UsageLedger.Spend(0, 0, 20_000, 0), ledger.spendOf(two, clock.instant()));
        clock.advance(Duration.ofHours(23).plusMinutes(50));
        assertTrue(!ledger.reserve(two, perDay, 1, clock.instant()).admitted(), "still inside the 24 hours");
        clock.advance(Duration.ofMinutes(10));
        SpendAdmission later = ledger.reserve(two, perDay, 1, clock.instant());
        assertTrue(later.admitted(), "a day after its hour the spend has left the window");
        ledger.settle(two, later.hold(), 0, clock.instant());
    }

    @Test
    void anAgentsRefusalGivesTheTokensReservationBack() throws Exception {
        TokenRecord token = budgeted("agent-z", 100_000);
        TokenRecord other = budgeted("agent-z", 0);
        SpendAdmission first = ledger.reserve(other, OptionalLong.of(5_000), 5_000, clock.instant());
        assertTrue(first.admitted());
        SpendAdmission refused = ledger.reserve(token, OptionalLong.of(5_000), 3_000, clock.instant());
        assertEquals(Optional.of(SpendAdmission.AGENT_USD_PER_DAY), refused.refusedBy());
        // The token's own hold went back (Redis: asynchronously, so poll).
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (ledger.spendOf(token, clock.instant()).tokenReserved() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(0, ledger.spendOf(token, clock.instant()).tokenReserved());
        ledger.settle(other, first.hold(), 0, clock.instant());
    }

    @Test
    void costsAreSummedExactlyInTheUsageTotal() throws Exception {
        TokenRecord token = token("agent-cost", null, null, null);
        for (int i = 0; i < 1000; i++) {
            ledger.record(token, new Usage(1, 1, 1, 0, 0, 0, 3, 0, 0), clock.instant());
        }
        ledger.record(token, new Usage(1, 1, 1, 0, 0, 0, 0, 1, 1), clock.instant());
        settle(ledger);
        Usage total = ledger.usageOf(token, clock.instant()).total();
        assertEquals(3_000, total.costMicros());
        assertEquals(1, total.unpriced());
        assertEquals(1, total.partial());
    }
    @Test
    void aBatchsResultsAreChargedOnceHoweverOftenAndHoweverFarTheyAreDownloaded() throws Exception {
        TokenRecord token = budgeted("agent-batch", 1_000_000);
        TokenRecord other = budgeted("agent-batch", 0);
        String batch = "msgbatch_contract" + NEXT_ID.incrementAndGet();
        // A download broken off after the first lines, then two whole ones (by two tokens of the owning agent).
        Usage firstLines = new Usage(1, 100, 50, 0, 0, 1, 1_000, 0, 1);
        Usage whole = new Usage(1, 300, 150, 10, 20, 0, 3_000, 1, 0);
        ledger.recordBatchResults(token, batch, firstLines, true, clock.instant());
        settle(ledger);
        ledger.recordBatchResults(other, batch, whole, true, clock.instant());
        settle(ledger);
        ledger.recordBatchResults(token, batch, whole, true, clock.instant());
        settle(ledger);
        assertEquals(new Usage(2, 100, 50, 0, 0, 1, 1_000, 0, 1), ledger.usageOf(token, clock.instant()).total());
        assertEquals(new Usage(1, 200, 100, 10, 20, 0, 2_000, 1, 0), ledger.usageOf(other, clock.instant()).total());
        // The token's max_cost_usd holds what it was charged; the agent's budget all the batch's lines, once.
        assertEquals(new UsageLedger.Spend(1_000, 0, 3_000, 0), ledger.spendOf(token, clock.instant()));
        assertEquals(3_000, ledger.spendOf(other, clock.instant()).agentSpent());
        SpendAdmission refused = ledger.reserve(other, OptionalLong.of(3_000), 1, clock.instant());
        assertEquals(Optional.of(SpendAdmission.AGENT_USD_PER_DAY), refused.refusedBy(), "the batch spent the agent's budget");
        // Another batch is its own.
        ledger.recordBatchResults(other, batch + "b", whole, false, clock.instant());
        settle(ledger);
        assertEquals(5_000, ledger.usageOf(other, clock.instant()).total().costMicros());
    }

    @Test
    void concurrentDownloadsOfTheSameResultsChargeThemOnce() throws Exception {
        TokenRecord token = token("agent-batch-race", null, null, null);
        String batch = "msgbatch_race" + NEXT_ID.incrementAndGet();
        Usage whole = new Usage(1, 300, 150, 10, 20, 0, 3_000, 0, 0);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                done.add(pool.submit(() -> {
                    go.await();
                    ledger.recordBatchResults(token, batch, whole, false, clock.instant());
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> each : done) {
                each.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        settle(ledger);
        assertEquals(new Usage(40, 300, 150, 10, 20, 0, 3_000, 0, 0), ledger.usageOf(token, clock.instant()).total());
    }
}
