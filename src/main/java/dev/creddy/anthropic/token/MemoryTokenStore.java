package dev.creddy.anthropic.token;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * The token registry of a single instance: records in a map keyed by the secret's digest.
 * Expired records are purged by a background task and refused at validation in between; each purged
 * record is reported as a {@link TokenExpired} event.
 *
 * <p>Thread-safe: the map is concurrent and records are immutable. {@link #start()} and
 * {@link #close()} are called once each, by whoever created the store.
 */
public final class MemoryTokenStore implements TokenRegistry, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(MemoryTokenStore.class.getName());
    private static final Duration PURGE_INTERVAL = Duration.ofSeconds(30);

    private final Map<String, TokenRecord> byDigest = new ConcurrentHashMap<>();
    private final TokenSecrets secrets;
    private final Clock clock;
    private final Consumer<TokenExpired> expired;
    private ScheduledExecutorService purger;

    public MemoryTokenStore(TokenSecrets secrets, Clock clock) {
        this(secrets, clock, event -> { });
    }

    public MemoryTokenStore(TokenSecrets secrets, Clock clock, Consumer<TokenExpired> expired) {
        this.secrets = secrets;
        this.clock = clock;
        this.expired = expired;
    }

    /** Starts the background purge. */
    public void start() {
        purger = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "creddy-token-purge");
            thread.setDaemon(true);
            return thread;
        });
        purger.scheduleWithFixedDelay(this::purgeExpired, PURGE_INTERVAL.toMillis(), PURGE_INTERVAL.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    @Override
    public IssuedToken issue(TokenGrant grant) {
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        String secret = secrets.newSecret();
        TokenRecord record = new TokenRecord(secrets.newId(), grant.agentName(), now, now.plus(grant.ttl()), grant.limits(),
                grant.identity());
        byDigest.put(TokenSecrets.digest(secret), record);
        return new IssuedToken(record, secret);
    }

    @Override
    public Optional<TokenRecord> validate(String presentedSecret) {
        if (!TokenSecrets.isWellFormed(presentedSecret)) {
            return Optional.empty();
        }
        TokenRecord record = byDigest.get(TokenSecrets.digest(presentedSecret));
        if (record == null || record.isExpiredAt(clock.instant())) {
            return Optional.empty();
        }
        return Optional.of(record);
    }

    @Override
    public boolean revoke(TokenId id) {
        return byDigest.values().removeIf(record -> record.id().equals(id));
    }

    @Override
    public List<TokenRecord> revokeSubject(String subject, Optional<String> issuer) {
        List<TokenRecord> revoked = new ArrayList<>();
        // A scan, like listing: fine for the tokens one instance holds.
        for (Map.Entry<String, TokenRecord> entry : byDigest.entrySet()) {
            if (entry.getValue().identity().filter(identity -> identity.subject().equals(subject)
                    && issuer.map(identity.issuer()::equals).orElse(true)).isPresent()
                    && byDigest.remove(entry.getKey(), entry.getValue()) && !entry.getValue().isExpiredAt(clock.instant())) {
                revoked.add(entry.getValue());
            }
        }
        return revoked;
    }

    @Override
    public List<TokenRecord> list(int limit, Optional<TokenId> after) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1");
        }
        Instant now = clock.instant();
        // A scan: fine for the tokens one instance holds; the Redis store pages through an index instead.
        return byDigest.values().stream()
                .filter(record -> !record.isExpiredAt(now))
                .filter(record -> after.isEmpty() || record.id().value().compareTo(after.get().value()) > 0)
                .sorted(Comparator.comparing(record -> record.id().value()))
                .limit(limit)
                .toList();
    }

    @Override
    public long activeCount() {
        Instant now = clock.instant();
        return byDigest.values().stream().filter(record -> !record.isExpiredAt(now)).count();
    }

    @Override
    public Optional<String> unavailableReason() {
        return Optional.empty();
    }

    /** Drops expired records; runs in the background so the map does not grow with dead tokens. */
    void purgeExpired() {
        Instant now = clock.instant();
        List<TokenRecord> purged = new ArrayList<>();
        for (Map.Entry<String, TokenRecord> entry : byDigest.entrySet()) {
            // Only what this purge removed is reported: a token revoked meanwhile is not "expired".
            if (entry.getValue().isExpiredAt(now) && byDigest.remove(entry.getKey(), entry.getValue())) {
                purged.add(entry.getValue());
            }
        }
        if (!purged.isEmpty()) {
            LOG.fine(() -> "purged " + purged.size() + " expired token(s)");
        }
        for (TokenRecord record : purged) {
            expired.accept(new TokenExpired(record));
        }
    }

    /** Stops the background purge. */
    @Override
    public void close() {
        if (purger != null) {
            purger.shutdownNow();
        }
    }
}
