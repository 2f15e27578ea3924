package dev.creddy.anthropic.token;

import dev.creddy.anthropic.config.RedisSettings;
import dev.creddy.anthropic.config.RevokeWait;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * The token registry that every instance shares, in Redis. Per token it keeps one key,
 * {@code <prefix>token:{<id>}}: a hash with the secret's digest, the agent name, creation, expiry and
 * limits (and, for a token obtained with an identity token, {@code identity}: the
 * {@link AgentIdentity} as compact JSON), which Redis itself expires when the token does. The id is
 * derived from the secret (a SHA-256 of it, domain-separated from the digest, truncated), so
 * validation finds the key from the secret, and revocation by id needs no second key: there is no
 * id→digest lookup that could be evicted apart from the token and leave it unrevocable.
 *
 * <p>An index of two sorted sets, {@code <prefix>{tokens}:by-id} (all scores 0: paged listing in id
 * order) and {@code <prefix>{tokens}:by-expiry} (scored by expiry), lists the live tokens without
 * scanning the keyspace. It is written before the token and cleared after it, so it may name a token
 * that is gone (listing skips and drops such entries) but never misses a live one. Expired entries
 * are trimmed in the background in small batches; each listing call reads a bounded batch per
 * command, so no call blocks Redis for long whatever the backlog.
 *
 * <p>A token with a verified identity is also indexed under its subject,
 * {@code <prefix>subject:{<digest of the subject>}:tokens} (scored by expiry, expiring with its last
 * token), written before the token like the listing index, so that {@link #revokeSubject} finds every
 * live one; each token's own record decides whether it is the subject's.
 *
 * <p>Every multi-command change is a Lua script, run with {@code EVALSHA}, touching only the keys in
 * its {@code KEYS} (one slot in a Cluster), checking its ACL grants and reading first, and writing
 * last: a refused command leaves the old state whole. A revocation deletes the token and publishes
 * its digest on {@code <prefix>revocations}; every instance is subscribed and drops the digest from
 * its {@link ValidationCache} at once. A second message, {@code id:<id>}, names the token, so that
 * every instance can end the token's exchanges still running. The cache is trusted for at most {@code redis-cache-ttl},
 * which bounds how late a revocation takes effect on an instance whose subscription missed it.
 * Expiry is checked here on every validation, whatever Redis does.
 *
 * <p>Redis unreachable: every method throws {@link TokenStoreUnavailableException} within the command
 * timeout (at once while the link's circuit is open), and nothing validates that the cache cannot
 * vouch for (the cache is dropped as soon as a connection drops).
 *
 * <p>Thread-safe. Nothing happens in the constructor; {@link #start()} connects, {@link #close()}
 * disconnects, once each.
 */
public final class RedisTokenStore implements TokenRegistry, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(RedisTokenStore.class.getName());
    private static final int CACHE_ENTRIES = 10_000;
    /** Index entries read per listing command, and trimmed per trimming script: each well under a millisecond. */
    static final int INDEX_BATCH = 200;
    /** Index entries one script drops: small enough to stay a few milliseconds on a loaded Redis host. */
    static final int DROP_BATCH = 100;
    static final Duration TRIM_INTERVAL = Duration.ofSeconds(10);
    /** The shortest time between two sweeps for missed revocations. */
    static final Duration MIN_SWEEP = Duration.ofSeconds(1);
    /** Trimming rounds per run: a large backlog goes over a few runs, never in one long burst. */
    private static final int TRIM_ROUNDS = 50;
    /** Starts the revocation channel's second message, which names the revoked token's id. */
    static final String ID_MESSAGE = "id:";
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();

    private static final RedisScript ISSUE = new RedisScript(RedisScript.GRANTS + """
            -- KEYS: token hash
            -- ARGV: digest, id, agent name, created at, expires at, limits, identity ('' for none), ttl ms
            require({'hset', KEYS[1], 'f', 'v'}, {'pexpire', KEYS[1], '1'})
            local fields = {'digest', ARGV[1], 'id', ARGV[2], 'agent_name', ARGV[3], 'created_at', ARGV[4],
              'expires_at', ARGV[5], 'limits', ARGV[6]}
            if ARGV[7] ~= '' then
              fields[#fields + 1] = 'identity'
              fields[#fields + 1] = ARGV[7]
            end
            redis.call('HSET', KEYS[1], unpack(fields))
            redis.call('PEXPIRE', KEYS[1], ARGV[8])
            return 1
            """);

    private static final RedisScript INDEX = new RedisScript(RedisScript.GRANTS + """
            -- KEYS: by-id index, by-expiry index
            -- ARGV: id, expiry ms
            require({'zadd', KEYS[1], '0', 'm'}, {'zadd', KEYS[2], '0', 'm'})
            redis.call('ZADD', KEYS[1], 0, ARGV[1])
            redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
            return 1
            """);

    private static final RedisScript INDEX_SUBJECT = new RedisScript(RedisScript.GRANTS + """
            -- KEYS: the subject's token index
            -- ARGV: id, expiry ms, now ms
            require({'zadd', KEYS[1], '0', 'm'}, {'zremrangebyscore', KEYS[1], '0', '0'}, {'zrange', KEYS[1], '0', '0'},
              {'pexpire', KEYS[1], '1'})
            redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
            redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
            local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
            -- Relative to the proxy's clock, as the tokens' own expiry is: the index lives as long as its last token.
            redis.call('PEXPIRE', KEYS[1], math.max(1, tonumber(last[2]) - tonumber(ARGV[3])))
            return 1
            """);

    private static final RedisScript REVOKE = new RedisScript(RedisScript.GRANTS + """
            -- KEYS: token hash
            -- ARGV: revocation channel, the id message
            require({'del', KEYS[1]}, {'publish', ARGV[1], 'm'})
            local digest = redis.call('HGET', KEYS[1], 'digest')
            if not digest then
              return false
            end
            redis.call('DEL', KEYS[1])
            redis.call('PUBLISH', ARGV[1], digest)
            -- A second message names the id, for the exchanges of the token still running on every instance.
            redis.call('PUBLISH', ARGV[1], ARGV[2])
            return digest
            """);

    private static final RedisScript UNINDEX = new RedisScript(RedisScript.GRANTS + """
            -- KEYS: by-id index, by-expiry index
            -- ARGV: the ids to drop
            require({'zrem', KEYS[1], 'm'}, {'zrem', KEYS[2], 'm'})
            redis.call('ZREM', KEYS[1], unpack(ARGV))
            return redis.call('ZREM', KEYS[2], unpack(ARGV))
            """);

    private static final RedisScript TRIM = new RedisScript(RedisScript.GRANTS + """
            -- KEYS: by-id index, by-expiry index
            -- ARGV: now ms, batch
            require({'zrem', KEYS[1], 'm'}, {'zrem', KEYS[2], 'm'})
            local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
            if #expired == 0 then
              return 0
            end
            redis.call('ZREM', KEYS[1], unpack(expired))
            redis.call('ZREM', KEYS[2], unpack(expired))
            return #expired
            """);

    private final TokenSecrets secrets;
    private final Clock clock;
    private final ValidationCache cache;
    private final RedisLink link;
    private final RedisKeys keys;
    private final RedisReadiness readiness;
    private final RevokeWait revokeWait;
    private final ScheduledExecutorService trimmer;
    private final Consumer<TokenId> revoked;
    private final Duration sweepInterval;
    /** Counts the moments revocation messages may have been lost; a sweep catches up to it. */
    private final AtomicLong mayHaveMissed = new AtomicLong();
    private volatile Supplier<Set<TokenId>> running = Set::of;

    public RedisTokenStore(RedisSettings settings, TokenSecrets secrets, Clock clock) {
        this(settings, secrets, clock, null, id -> { });
    }

    /**
     * A store that also tells {@code revoked} of every revocation on any instance (this one's
     * included), on a Lettuce thread: it must be quick.
     */
    public RedisTokenStore(RedisSettings settings, TokenSecrets secrets, Clock clock, Consumer<TokenId> revoked) {
        this(settings, secrets, clock, null, revoked);
    }

    /** A store that listens for revocations on {@code listenChannel} (null: the real one): tests deafen one with it. */
    RedisTokenStore(RedisSettings settings, TokenSecrets secrets, Clock clock, String listenChannel) {
        this(settings, secrets, clock, listenChannel, id -> { });
    }

    /** A store deafened like the one above that still tells {@code revoked} what its sweeps find, for tests. */
    RedisTokenStore(RedisSettings settings, TokenSecrets secrets, Clock clock, String listenChannel,
            Consumer<TokenId> revoked) {
        this.revoked = revoked;
        this.sweepInterval = settings.cacheTtl().compareTo(MIN_SWEEP) < 0 ? MIN_SWEEP : settings.cacheTtl();
        this.secrets = secrets;
        this.clock = clock;
        this.keys = new RedisKeys(settings.keyPrefix());
        this.cache = new ValidationCache(settings.cacheTtl(), CACHE_ENTRIES, System::nanoTime);
        this.link = new RedisLink(settings, listenChannel == null ? keys.revocations() : listenChannel, message -> {
            // Digests are hex, so an id message cannot be mistaken for one.
            if (message.startsWith(ID_MESSAGE)) {
                String id = message.substring(ID_MESSAGE.length());
                if (TokenId.isWellFormed(id)) {
                    revoked.accept(new TokenId(id));
                }
            } else {
                cache.invalidate(message);
            }
        }, () -> {
            // Revocation messages may have been lost: the cache goes, and the next sweep asks Redis
            // about the tokens whose exchanges still run.
            cache.invalidateAll();
            mayHaveMissed.incrementAndGet();
        });
        this.readiness = new RedisReadiness(link, keys);
        this.revokeWait = settings.revokeWait();
        this.trimmer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "creddy-redis-index-trim");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Connects to Redis, waiting at most the command timeout; keeps trying in the background if it is not there. */
    public void start() {
        link.start();
        readiness.checkAtStartUp();
        trimmer.scheduleWithFixedDelay(this::trimExpiredIndexEntries, 0, TRIM_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        trimmer.scheduleWithFixedDelay(new MissedRevocations()::sweep, sweepInterval.toMillis(), sweepInterval.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /**
     * Names the tokens whose exchanges run on this instance. After revocation messages may have been
     * lost (a connection dropped), the store asks Redis, every {@code redis-cache-ttl} (at least a
     * second) until it has an answer, which of them are gone, and tells its revocation listener:
     * a revocation this instance did not hear ends its exchanges within that interval of Redis
     * answering again, as it stops validations within the cache's TTL.
     */
    public void watchRunning(Supplier<Set<TokenId>> running) {
        this.running = running;
    }

    /** Catches up on revocations the channel may have lost; runs on the trimming thread. */
    private final class MissedRevocations {
        private long sweptUpTo;

        void sweep() {
            long missed = mayHaveMissed.get();
            if (missed == sweptUpTo || !link.isSubscribed()) {
                // Nothing lost, or the subscription is not back: messages published from now on still arrive once it is.
                return;
            }
            try {
                for (TokenId id : running.get()) {
                    if (link.call(redis -> redis.exists(keys.token(id.value()))) == 0L) {
                        revoked.accept(id);
                    }
                }
                sweptUpTo = missed;
            } catch (RuntimeException e) {
                // Redis does not answer yet: the next round asks again.
            }
        }
    }

    /**
     * The id a secret's token has in Redis: derived from the secret, so that the token's one key can be
     * found from either. Domain-separated from {@link TokenSecrets#digest} (which keys the cache), and
     * like it one-way: the id, shown in listings and logs, reveals nothing of the secret.
     */
    static TokenId idOf(String secret) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(("creddy-redis-token-id\0" + secret)
                    .getBytes(StandardCharsets.US_ASCII));
            return new TokenId("tok_" + BASE64URL.encodeToString(java.util.Arrays.copyOf(hash, 12)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    @Override
    public IssuedToken issue(TokenGrant grant) {
        Instant now = clock.instant();
        Instant createdAt = now.truncatedTo(ChronoUnit.SECONDS);
        String secret = secrets.newSecret();
        TokenRecord record = new TokenRecord(idOf(secret), grant.agentName(), createdAt, createdAt.plus(grant.ttl()),
                grant.limits(), grant.identity());
        String id = record.id().value();
        long ttlMillis = Math.max(1, Duration.between(now, record.expiresAt()).toMillis());
        // The index first: should the token's own write fail, listing drops the entry; the other way
        // round, a live token could be missing from every listing.
        link.call(redis -> INDEX.<Long>run(redis, ScriptOutputType.INTEGER,
                new String[] {keys.tokensById(), keys.tokensByExpiry()}, id, Long.toString(record.expiresAt().toEpochMilli())));
        if (grant.identity().isPresent()) {
            // Like the index: first, so that revoking the subject's tokens never misses a live one.
            link.call(redis -> INDEX_SUBJECT.<Long>run(redis, ScriptOutputType.INTEGER,
                    new String[] {keys.subjectTokens(subjectDigest(grant.identity().get().subject()))}, id,
                    Long.toString(record.expiresAt().toEpochMilli()), Long.toString(now.toEpochMilli())));
        }
        link.call(redis -> ISSUE.<Long>run(redis, ScriptOutputType.INTEGER, new String[] {keys.token(id)},
                TokenSecrets.digest(secret), id, grant.agentName(), createdAt.toString(), record.expiresAt().toString(),
                grant.limits().toJson(), grant.identity().map(AgentIdentity::toJson).orElse(""), Long.toString(ttlMillis)));
        return new IssuedToken(record, secret);
    }

    @Override
    public Optional<TokenRecord> validate(String presentedSecret) {
        if (!TokenSecrets.isWellFormed(presentedSecret)) {
            return Optional.empty();
        }
        String digest = TokenSecrets.digest(presentedSecret);
        Optional<TokenRecord> cached = cache.get(digest);
        if (cached.isPresent()) {
            return cached.filter(record -> !record.isExpiredAt(clock.instant()));
        }
        // Only while revocation messages arrive may an answer be cached; the ticket catches one that
        // arrives while this read is in flight.
        ValidationCache.Ticket ticket = link.isSubscribed() ? cache.ticket() : null;
        String id = idOf(presentedSecret).value();
        Map<String, String> fields = link.call(redis -> redis.hgetall(keys.token(id)));
        if (fields.isEmpty() || !digest.equals(fields.get("digest"))) {
            return Optional.empty();
        }
        Optional<TokenRecord> record = parse(fields);
        if (record.isEmpty() || record.get().isExpiredAt(clock.instant())) {
            return Optional.empty();
        }
        if (ticket != null) {
            cache.fill(digest, record.get(), ticket);
        }
        return record;
    }

    /**
     * Revokes on the primary; with {@code redis-revoke-wait-replicas}, then waits for that many
     * replicas to have it.
     *
     * @throws RevocationNotReplicatedException when they did not acknowledge it in time (the
     *     revocation stands on the primary)
     */
    @Override
    public boolean revoke(TokenId id) {
        Function<RedisClusterCommands<String, String>, String> script = redis -> REVOKE.<String>run(redis, ScriptOutputType.VALUE,
                new String[] {keys.token(id.value())}, keys.revocations(), ID_MESSAGE + id.value());
        RevokeWait wait = revokeWait;
        if (!wait.waits()) {
            return revoked(id, link.call(script));
        }
        RedisLink.Acknowledged<String> reply = link.callAcknowledged(script, wait.replicas(), wait.timeout());
        boolean found = revoked(id, reply.value());
        if (reply.replicas() < wait.replicas()) {
            throw new RevocationNotReplicatedException(found, reply.replicas(), wait);
        }
        return found;
    }

    /** What follows the script: {@code digest} is the revoked token's, or null when there was none. */
    private boolean revoked(TokenId id, String digest) {
        if (digest == null) {
            return false;
        }
        // Our own message will come too, but the caller's acknowledgement must already hold here.
        cache.invalidate(digest);
        // The token is gone; its index entry follows, and listing drops it should this fail.
        link.callAsync(redis -> UNINDEX.<Long>runAsync(redis, ScriptOutputType.INTEGER,
                new String[] {keys.tokensById(), keys.tokensByExpiry()}, id.value()));
        return true;
    }

    /**
     * Reads the subject's index in pages, checks each token's own record (the index is keyed by a digest
     * and the issuer may be asked for), revokes the matching ones one by one with the revocation script,
     * and drops what it revoked or found gone from the index.
     */
    @Override
    public List<TokenRecord> revokeSubject(String subject, Optional<String> issuer) {
        String index = keys.subjectTokens(subjectDigest(subject));
        String now = Long.toString(clock.instant().toEpochMilli());
        List<String> ids = new ArrayList<>();
        while (true) {
            int offset = ids.size();
            List<String> page = link.call(redis -> redis.zrangebyscore(index,
                    Range.from(Range.Boundary.excluding((Number) Long.parseLong(now)), Range.Boundary.unbounded()),
                    Limit.create(offset, INDEX_BATCH)));
            ids.addAll(page);
            if (page.size() < INDEX_BATCH) {
                break;
            }
        }
        List<TokenRecord> revoked = new ArrayList<>();
        List<String> drop = new ArrayList<>();
        for (String id : ids) {
            Map<String, String> fields = link.call(redis -> redis.hgetall(keys.token(id)));
            Optional<TokenRecord> record = fields.isEmpty() ? Optional.empty() : parse(fields);
            if (record.isEmpty()) {
                drop.add(id);
                continue;
            }
            boolean theirs = record.get().identity().filter(identity -> identity.subject().equals(subject)
                    && issuer.map(identity.issuer()::equals).orElse(true)).isPresent();
            if (theirs && revoke(record.get().id())) {
                revoked.add(record.get());
                drop.add(id);
            }
        }
        for (int first = 0; first < drop.size(); first += DROP_BATCH) {
            String[] batch = drop.subList(first, Math.min(drop.size(), first + DROP_BATCH)).toArray(String[]::new);
            link.call(redis -> redis.zrem(index, batch));
        }
        return revoked;
    }

    /** The digest a subject's index is keyed by: one-way, short, and free of braces. */
    public static String subjectDigest(String subject) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(("creddy-subject\0" + subject)
                    .getBytes(StandardCharsets.UTF_8));
            return BASE64URL.encodeToString(java.util.Arrays.copyOf(hash, 18));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    @Override
    public List<TokenRecord> list(int limit, Optional<TokenId> after) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1");
        }
        List<TokenRecord> page = new ArrayList<>(Math.min(limit, INDEX_BATCH));
        List<String> stale = new ArrayList<>();
        Range.Boundary<String> from = after.map(id -> Range.Boundary.excluding(id.value())).orElse(Range.Boundary.unbounded());
        long now = clock.instant().toEpochMilli();
        while (page.size() < limit) {
            Range<String> range = Range.from(from, Range.Boundary.unbounded());
            List<String> ids = link.call(redis -> redis.zrangebylex(keys.tokensById(), range, Limit.create(0, INDEX_BATCH)));
            if (ids.isEmpty()) {
                break;
            }
            List<Double> expiries = link.call(redis -> redis.zmscore(keys.tokensByExpiry(), ids.toArray(String[]::new)));
            List<String> live = new ArrayList<>();
            for (int i = 0; i < ids.size(); i++) {
                Double expiry = expiries.get(i);
                if (expiry == null || expiry <= now) {
                    stale.add(ids.get(i));
                } else {
                    live.add(ids.get(i));
                }
            }
            // Sent together, answered in order: one round trip's wait for the whole batch, and in a
            // Cluster each goes to its token's own node.
            List<CompletableFuture<Map<String, String>>> records = new ArrayList<>(live.size());
            for (String id : live) {
                records.add(link.<Map<String, String>>callAsync(redis -> redis.hgetall(keys.token(id))).toCompletableFuture());
            }
            for (int i = 0; i < live.size() && page.size() < limit; i++) {
                Map<String, String> fields = RedisLink.await(records.get(i));
                Optional<TokenRecord> record = fields.isEmpty() ? Optional.empty() : parse(fields);
                if (record.isPresent() && !record.get().isExpiredAt(clock.instant())) {
                    page.add(record.get());
                } else {
                    // Expired, revoked, or forgotten by Redis: the index follows.
                    stale.add(live.get(i));
                }
            }
            if (ids.size() < INDEX_BATCH) {
                break;
            }
            from = Range.Boundary.excluding(ids.get(ids.size() - 1));
        }
        // Dropped before answering (the next listing should not find them again), in batches: one
        // script per batch keeps each short, and within Lua's argument limit.
        for (int first = 0; first < stale.size(); first += DROP_BATCH) {
            String[] drop = stale.subList(first, Math.min(stale.size(), first + DROP_BATCH)).toArray(String[]::new);
            link.call(redis -> UNINDEX.<Long>run(redis, ScriptOutputType.INTEGER,
                    new String[] {keys.tokensById(), keys.tokensByExpiry()}, drop));
        }
        return page;
    }

    /** Live tokens by the index: the entries that have not expired (revoked ones leave it at once). */
    @Override
    public long activeCount() {
        try {
            long now = clock.instant().toEpochMilli();
            return link.call(redis -> redis.zcount(keys.tokensByExpiry(),
                    Range.create((Number) (now + 1), (Number) Double.POSITIVE_INFINITY)));
        } catch (TokenStoreUnavailableException e) {
            return -1;
        }
    }

    /**
     * Drops expired index entries, {@value #DROP_BATCH} per script, at most {@value #TRIM_ROUNDS}
     * rounds per run: listing stays fast however many tokens expired, and Redis is never held long.
     */
    void trimExpiredIndexEntries() {
        try {
            for (int round = 0; round < TRIM_ROUNDS; round++) {
                String now = Long.toString(clock.instant().toEpochMilli());
                long trimmed = link.call(redis -> TRIM.<Long>run(redis, ScriptOutputType.INTEGER,
                        new String[] {keys.tokensById(), keys.tokensByExpiry()}, now, Integer.toString(DROP_BATCH)));
                if (trimmed < INDEX_BATCH) {
                    return;
                }
            }
        } catch (TokenStoreUnavailableException e) {
            // Redis is away; the next run tries again, and listing skips expired entries meanwhile.
        } catch (RuntimeException e) {
            LOG.warning(() -> "token store: trimming expired index entries failed (" + e.getClass().getSimpleName() + ")");
        }
    }

    @Override
    public Optional<String> unavailableReason() {
        return readiness.problem();
    }

    /**
     * The connection this store talks to Redis over, for the usage ledger to share: one connection
     * per instance, with one way of failing. The store opens and closes it.
     */
    public RedisLink link() {
        return link;
    }

    /** The key layout, for the usage ledger to share. */
    public RedisKeys keys() {
        return keys;
    }

    /** Validations this instance's cache answered since start, without asking Redis. */
    public long cacheHits() {
        return cache.hits();
    }

    /** Validations of well-formed tokens that asked Redis since start: nothing fresh was cached. */
    public long cacheMisses() {
        return cache.misses();
    }

    /** How many validations this instance has cached; for tests. */
    int cachedValidations() {
        return cache.size();
    }


    /** A record from stored fields; anything malformed is refused, never guessed at. */
    private static Optional<TokenRecord> parse(Map<String, String> fields) {
        String id = fields.get("id");
        String agentName = fields.get("agent_name");
        String createdAt = fields.get("created_at");
        String expiresAt = fields.get("expires_at");
        String limits = fields.get("limits");
        String identity = fields.getOrDefault("identity", "");
        try {
            if (id == null || agentName == null || createdAt == null || expiresAt == null) {
                throw new IllegalArgumentException("a field is missing");
            }
            TokenLimits parsedLimits = limits == null || limits.isEmpty() ? TokenLimits.NONE : TokenLimits.fromJson(limits);
            // A token without an identity has no such field; one whose field is there but broken is refused,
            // never read as "no identity", which would drop its address binding.
            Optional<AgentIdentity> verified = identity.isEmpty() ? Optional.empty() : Optional.of(AgentIdentity.fromJson(identity));
            return Optional.of(new TokenRecord(new TokenId(id), agentName, Instant.parse(createdAt), Instant.parse(expiresAt),
                    parsedLimits, verified));
        } catch (IllegalArgumentException | DateTimeParseException e) {
            LOG.warning("token store: refusing a malformed token record in Redis (" + e.getClass().getSimpleName() + ")");
            return Optional.empty();
        }
    }

    @Override
    public void close() {
        trimmer.shutdownNow();
        link.close();
    }
}
