package dev.creddy.anthropic.usage;

import dev.creddy.anthropic.token.TokenId;
import dev.creddy.anthropic.token.TokenRecord;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The dollar budgets of the {@link MemoryUsageLedger}: per token its spend over its life and the
 * reservations it holds, per agent its spend per UTC hour and its reservations.
 *
 * <p>Thread-safe: one lock over all books, so that a request's token and agent reservations are made
 * or refused together; reservations are few (one per request in flight) and each step is a few map
 * operations.
 */
final class MemorySpendBooks {

    private final Object lock = new Object();
    private final Map<TokenId, Book> tokens = new ConcurrentHashMap<>();
    private final Map<String, AgentBook> agents = new ConcurrentHashMap<>();
    private final AtomicLong outstanding = new AtomicLong();

    /** Holds the books of one token: lifetime spend and the reservations of its requests in flight. */
    private static final class Book {
        final Instant expiresAt;
        long spent;
        final Map<String, Long> holds = new HashMap<>();

        Book(Instant expiresAt) {
            this.expiresAt = expiresAt;
        }

        long held() {
            long sum = 0;
            for (long micros : holds.values()) {
                sum = SpendWindows.add(sum, micros);
            }
            return sum;
        }
    }

    /** One agent's spend per UTC hour and its reservations. */
    private static final class AgentBook {
        final TreeMap<Long, Long> hours = new TreeMap<>();
        final Map<String, Long> holds = new HashMap<>();

        long spentInWindow(long hour) {
            hours.headMap(hour - SpendWindows.HOURS + 1).clear();
            long sum = 0;
            for (long micros : hours.values()) {
                sum = SpendWindows.add(sum, micros);
            }
            return sum;
        }

        long held() {
            long sum = 0;
            for (long micros : holds.values()) {
                sum = SpendWindows.add(sum, micros);
            }
            return sum;
        }
    }

    SpendAdmission reserve(TokenRecord token, OptionalLong agentBudget, long estimate, Instant now) {
        String id = SpendWindows.newHoldId();
        boolean onToken = token.limits().maxCostUsd().isPresent();
        synchronized (lock) {
            Book book = onToken ? tokens.computeIfAbsent(token.id(), key -> new Book(token.expiresAt())) : null;
            if (onToken) {
                long budget = token.limits().maxCostUsd().getAsLong();
                long held = book.held();
                if (SpendWindows.add(book.spent, held) >= budget) {
                    return SpendAdmission.refused(SpendAdmission.MAX_COST_USD, budget, book.spent, held, null);
                }
            }
            AgentBook agent = null;
            if (agentBudget.isPresent()) {
                agent = agents.computeIfAbsent(token.agentName(), name -> new AgentBook());
                long hour = SpendWindows.hour(now);
                long spent = agent.spentInWindow(hour);
                long held = agent.held();
                if (SpendWindows.add(spent, held) >= agentBudget.getAsLong()) {
                    Instant resetsAt = agent.hours.isEmpty() ? SpendWindows.leavesWindow(hour)
                            : SpendWindows.leavesWindow(agent.hours.firstKey());
                    return SpendAdmission.refused(SpendAdmission.AGENT_USD_PER_DAY, agentBudget.getAsLong(), spent, held,
                            resetsAt);
                }
            }
            if (book != null) {
                book.holds.put(id, estimate);
            }
            if (agent != null) {
                agent.holds.put(id, estimate);
            }
        }
        outstanding.incrementAndGet();
        return SpendAdmission.admitted(new SpendHold(id, estimate, onToken, agentBudget.isPresent() ? token.agentName() : null));
    }

    void settle(TokenRecord token, SpendHold hold, long charged, Instant now) {
        synchronized (lock) {
            if (hold.onToken()) {
                Book book = tokens.computeIfAbsent(token.id(), key -> new Book(token.expiresAt()));
                book.holds.remove(hold.id());
                book.spent = SpendWindows.add(book.spent, charged);
            }
            if (hold.agent() != null) {
                AgentBook agent = agents.computeIfAbsent(hold.agent(), name -> new AgentBook());
                agent.holds.remove(hold.id());
                agent.hours.merge(SpendWindows.hour(now), Math.max(0, charged), SpendWindows::add);
            }
        }
        outstanding.decrementAndGet();
    }

    /**
     * Charges {@code charged} without a reservation (a batch's results, whose cost arrives after the
     * request that created it): to the token's lifetime spend when it has {@code max_cost_usd}, to its
     * agent's current hour when {@code onAgent}.
     */
    void charge(TokenRecord token, boolean onAgent, long charged, Instant now) {
        if (charged <= 0) {
            return;
        }
        synchronized (lock) {
            if (token.limits().maxCostUsd().isPresent()) {
                Book book = tokens.computeIfAbsent(token.id(), key -> new Book(token.expiresAt()));
                book.spent = SpendWindows.add(book.spent, charged);
            }
            if (onAgent) {
                agents.computeIfAbsent(token.agentName(), name -> new AgentBook()).hours
                        .merge(SpendWindows.hour(now), charged, SpendWindows::add);
            }
        }
    }

    UsageLedger.Spend spendOf(TokenRecord token, Instant now) {
        synchronized (lock) {
            Book book = tokens.get(token.id());
            AgentBook agent = agents.get(token.agentName());
            return new UsageLedger.Spend(book == null ? 0 : book.spent, book == null ? 0 : book.held(),
                    agent == null ? 0 : agent.spentInWindow(SpendWindows.hour(now)), agent == null ? 0 : agent.held());
        }
    }

    long outstanding() {
        return outstanding.get();
    }

    /** Drops the books of tokens expired before {@code before} that hold nothing, and agents' empty books. */
    void purge(Instant before, Instant now) {
        synchronized (lock) {
            tokens.values().removeIf(book -> book.expiresAt.isBefore(before) && book.holds.isEmpty());
            long hour = SpendWindows.hour(now);
            agents.values().removeIf(agent -> agent.spentInWindow(hour) == 0 && agent.holds.isEmpty());
        }
    }
}
