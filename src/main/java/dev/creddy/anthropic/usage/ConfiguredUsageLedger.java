package dev.creddy.anthropic.usage;

import dev.creddy.anthropic.config.GoDuration;
import dev.creddy.anthropic.config.Settings;
import dev.creddy.anthropic.token.ConfiguredTokenRegistry;
import dev.creddy.anthropic.token.RedisFailure;
import dev.creddy.anthropic.token.TokenRecord;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.BeforeDestroyed;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The application's {@link UsageLedger} ({@code @Inject UsageLedger}): the ledger that matches the
 * token store the settings chose, created as the application starts. With Redis it counts over the
 * token store's own connection; in memory it runs its own purge.
 *
 * <p>A managed bean that delegates, like {@link ConfiguredTokenRegistry}, so decorators can apply to
 * it whichever ledger is behind it. Thread-safe: the ledger is set once at start-up.
 */
@ApplicationScoped
public class ConfiguredUsageLedger implements UsageLedger {

    /** How long the hourly usage history is kept. */

    private static final Logger LOG = Logger.getLogger(ConfiguredUsageLedger.class.getName());

    private volatile UsageLedger ledger;

    /** Runs after the token registry has started (its observer has a lower priority), so its connection is there. */
    void start(@Observes @Priority(Interceptor.Priority.APPLICATION + 650) @Initialized(ApplicationScoped.class) Object started,
            Settings settings, ConfiguredTokenRegistry registry) {
        ledger = switch (settings.tokenStore()) {
            case MEMORY -> {
                MemoryUsageLedger memory = new MemoryUsageLedger(settings.usageRetention(), Clock.systemUTC());
                memory.start();
                yield memory;
            }
            case REDIS -> new RedisUsageLedger(registry.redisLink().orElseThrow(), settings.usageRetention());
        };
        LOG.info(() -> "usage ledger: " + settings.tokenStore().key() + ", history kept for " + GoDuration.format(settings.usageRetention()));
    }

    /**
     * Closes the ledger before any application-scoped bean is destroyed, so that records still on
     * their way reach Redis before the token store closes the connection they travel on.
     */
    void stop(@Observes @BeforeDestroyed(ApplicationScoped.class) Object stopping) {
        if (ledger instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                LOG.log(Level.WARNING, "usage ledger: closing failed: {0}", e.getClass().getName());
            }
        }
    }

    private UsageLedger ledger() {
        UsageLedger started = ledger;
        if (started == null) {
            throw new IllegalStateException("the usage ledger was asked for before the application started");
        }
        return started;
    }

    @Override
    public Admission admit(TokenRecord token, Instant now) {
        return ledger().admit(token, now);
    }

    @Override
    public void record(TokenRecord token, Usage used, Instant now) {
        ledger().record(token, used, now);
    }

    @Override
    public long droppedRecords() {
        return ledger().droppedRecords();
    }

    /** 0 until the application has started: metrics may be read before the ledger is there. */
    @Override
    public long droppedRecordsFor(RedisFailure.Kind reason) {
        UsageLedger started = ledger;
        return started == null ? 0 : started.droppedRecordsFor(reason);
    }

    @Override
    public TokenUsage usageOf(TokenRecord token, Instant now) {
        return ledger().usageOf(token, now);
    }

    @Override
    public List<UsageLine> report(Optional<String> agentName, Instant from, Instant to) {
        return ledger().report(agentName, from, to);
    }

    @Override
    public UsagePage report(Optional<String> agentName, Instant from, Instant to, Optional<ReportKey> after, int limit) {
        return ledger().report(agentName, from, to, after, limit);
    }

    @Override
    public SpendAdmission reserve(TokenRecord token, java.util.OptionalLong agentBudgetMicros, long estimateMicros, Instant now) {
        return ledger().reserve(token, agentBudgetMicros, estimateMicros, now);
    }

    @Override
    public void settle(TokenRecord token, SpendHold hold, long chargedMicros, Instant now) {
        ledger().settle(token, hold, chargedMicros, now);
    }

    @Override
    public void recordBatchResults(TokenRecord token, String batchId, Usage download, boolean onAgentBudget, Instant now) {
        ledger().recordBatchResults(token, batchId, download, onAgentBudget, now);
    }

    @Override
    public Spend spendOf(TokenRecord token, Instant now) {
        return ledger().spendOf(token, now);
    }

    @Override
    public long reservationsOutstanding() {
        return ledger().reservationsOutstanding();
    }
}
