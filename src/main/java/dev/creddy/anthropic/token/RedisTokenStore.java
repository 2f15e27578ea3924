package dev.creddy.anthropic.token;

import dev.creddy.anthropic.config.RedisSettings;
import io.lettuce.core.ScriptOutputType;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The token registry that every instance shares, in Redis. Per token it keeps:
 * <ul>
 * <li>{@code creddy:token:<digest>}: a hash with the id, agent name, creation, expiry and limits (and, for
 *     a token obtained with an identity token, {@code identity}: the {@link AgentIdentity} as compact JSON),
 *     which Redis itself expires when the token does;</li>
 * <li>{@code creddy:token-id:<id>}: the digest, for revocation by id, with the same expiry;</li>
 * <li>the id in two sorted sets: {@code creddy:tokens:by-id} (all scores 0, so ordered by id, for
 *     paged listing without scanning the keyspace) and {@code creddy:tokens:by-expiry} (scored by
 *     expiry, so issuance and listing drop the index entries of expired tokens).</li>
 * </ul>
 * Multi-key changes run as Lua scripts, so each is atomic. A revocation deletes the token and
 * publishes its digest on {@code creddy:revocations}; every instance is subscribed and drops the digest
 * from its {@link ValidationCache} at once. The cache is trusted for at most {@code redis-cache-ttl},
 * which bounds how late a revocation takes effect on an instance whose subscription missed it.
 * Expiry is checked here on every validation, whatever Redis does.
 *
 * <p>Redis unreachable: every method throws {@link TokenStoreUnavailableException} within the command
 * timeout, and nothing validates that the cache cannot vouch for (the cache is dropped as soon as a
 * connection drops).
 *
 * <p>Thread-safe. Nothing happens in the constructor; {@link #start()} connects, {@link #close()}
 * disconnects, once each.
 */
public final class RedisTokenStore implements TokenRegistry, AutoCloseable {

    static final String TOKEN_KEY = "creddy:token:";
    static final String ID_KEY = "creddy:token-id:";
    static final String BY_ID = "creddy:tokens:by-id";
    static final String BY_EXPIRY = "creddy:tokens:by-expiry";
    static final String REVOCATIONS = "creddy:revocations";

    private static final Logger LOG = Logger.getLogger(RedisTokenStore.class.getName());
    private static final int CACHE_ENTRIES = 10_000;
    /** Expired index entries dropped per issuance: enough to keep up, small enough to keep the script short. */
    private static final int INDEX_CLEANUP_BATCH = 100;

    private static final String ISSUE = """
            -- KEYS: token hash, id key, by-id index, by-expiry index
            -- ARGV: id, agent name, created at, expires at, expiry ms, ttl ms, digest, now ms, cleanup batch, limits,
            --       identity ('' for none)
            redis.call('HSET', KEYS[1], 'id', ARGV[1], 'agent_name', ARGV[2], 'created_at', ARGV[3], 'expires_at', ARGV[4],
              'limits', ARGV[10])
            if ARGV[11] ~= '' then
              redis.call('HSET', KEYS[1], 'identity', ARGV[11])
            end
            redis.call('PEXPIRE', KEYS[1], ARGV[6])
            redis.call('SET', KEYS[2], ARGV[7], 'PX', ARGV[6])
            redis.call('ZADD', KEYS[3], 0, ARGV[1])
            redis.call('ZADD', KEYS[4], ARGV[5], ARGV[1])
            local expired = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', ARGV[8], 'LIMIT', 0, ARGV[9])
            for _, id in ipairs(expired) do
              redis.call('ZREM', KEYS[3], id)
              redis.call('ZREM', KEYS[4], id)
            end
            return #expired
            """;

    private static final String REVOKE = """
            -- KEYS: id key, by-id index, by-expiry index
            -- ARGV: id, token key prefix, revocation channel
            redis.call('ZREM', KEYS[2], ARGV[1])
            redis.call('ZREM', KEYS[3], ARGV[1])
            local digest = redis.call('GET', KEYS[1])
            if not digest then
              return false
            end
            redis.call('DEL', KEYS[1], ARGV[2] .. digest)
            redis.call('PUBLISH', ARGV[3], digest)
            return digest
            """;

    private static final String LIST = """
            -- KEYS: by-id index, by-expiry index
            -- ARGV: first member ('-' or '(' .. id), limit, now ms, id key prefix, token key prefix
            -- Returns id, agent name, created at, expires at, limits, identity ('' for none) for each live token, in id order.
            local out, cursor, limit, now = {}, ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
            local found = 0
            while found < limit do
              local ids = redis.call('ZRANGEBYLEX', KEYS[1], cursor, '+', 'LIMIT', 0, limit)
              if #ids == 0 then
                break
              end
              for _, id in ipairs(ids) do
                cursor = '(' .. id
                local expiry = tonumber(redis.call('ZSCORE', KEYS[2], id))
                local digest = redis.call('GET', ARGV[4] .. id)
                local fields = digest and redis.call('HMGET', ARGV[5] .. digest, 'agent_name', 'created_at', 'expires_at', 'limits',
                  'identity')
                if not expiry or expiry <= now or not fields or not fields[1] then
                  -- Expired, or forgotten by Redis: the index follows.
                  redis.call('ZREM', KEYS[1], id)
                  redis.call('ZREM', KEYS[2], id)
                elseif found < limit then
                  out[#out + 1] = id
                  out[#out + 1] = fields[1]
                  out[#out + 1] = fields[2]
                  out[#out + 1] = fields[3]
                  out[#out + 1] = fields[4] or ''
                  out[#out + 1] = fields[5] or ''
                  found = found + 1
                end
              end
            end
            return out
            """;

    private final TokenSecrets secrets;
    private final Clock clock;
    private final ValidationCache cache;
    private final RedisLink link;

    public RedisTokenStore(RedisSettings settings, TokenSecrets secrets, Clock clock) {
        this(settings, secrets, clock, REVOCATIONS);
    }

    /** A store that listens for revocations on {@code listenChannel}: tests deafen one with it. */
    RedisTokenStore(RedisSettings settings, TokenSecrets secrets, Clock clock, String listenChannel) {
        this.secrets = secrets;
        this.clock = clock;
        this.cache = new ValidationCache(settings.cacheTtl(), CACHE_ENTRIES, System::nanoTime);
        this.link = new RedisLink(settings, listenChannel, cache::invalidate, cache::invalidateAll);
    }

    /** Connects to Redis, waiting at most the command timeout; keeps trying in the background if it is not there. */
    public void start() {
        link.start();
    }

    @Override
    public IssuedToken issue(TokenGrant grant) {
        Instant now = clock.instant();
        Instant createdAt = now.truncatedTo(ChronoUnit.SECONDS);
        String secret = secrets.newSecret();
        TokenRecord record = new TokenRecord(secrets.newId(), grant.agentName(), createdAt, createdAt.plus(grant.ttl()),
                grant.limits(), grant.identity());
        String digest = TokenSecrets.digest(secret);
        long ttlMillis = Math.max(1, Duration.between(now, record.expiresAt()).toMillis());
        link.call(redis -> redis.<Long>eval(ISSUE, ScriptOutputType.INTEGER,
                new String[] {TOKEN_KEY + digest, ID_KEY + record.id().value(), BY_ID, BY_EXPIRY},
                record.id().value(), grant.agentName(), createdAt.toString(), record.expiresAt().toString(),
                Long.toString(record.expiresAt().toEpochMilli()), Long.toString(ttlMillis), digest,
                Long.toString(now.toEpochMilli()), Integer.toString(INDEX_CLEANUP_BATCH), grant.limits().toJson(),
                grant.identity().map(AgentIdentity::toJson).orElse("")));
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
        Map<String, String> fields = link.call(redis -> redis.hgetall(TOKEN_KEY + digest));
        if (fields.isEmpty()) {
            return Optional.empty();
        }
        Optional<TokenRecord> record = parse(fields.get("id"), fields.get("agent_name"), fields.get("created_at"),
                fields.get("expires_at"), fields.get("limits"), fields.getOrDefault("identity", ""));
        if (record.isEmpty() || record.get().isExpiredAt(clock.instant())) {
            return Optional.empty();
        }
        if (ticket != null) {
            cache.fill(digest, record.get(), ticket);
        }
        return record;
    }

    @Override
    public boolean revoke(TokenId id) {
        String digest = link.call(redis -> redis.<String>eval(REVOKE, ScriptOutputType.VALUE,
                new String[] {ID_KEY + id.value(), BY_ID, BY_EXPIRY}, id.value(), TOKEN_KEY, REVOCATIONS));
        if (digest == null) {
            return false;
        }
        // Our own message will come too, but the caller's acknowledgement must already hold here.
        cache.invalidate(digest);
        return true;
    }

    @Override
    public List<TokenRecord> list(int limit, Optional<TokenId> after) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1");
        }
        String first = after.map(id -> "(" + id.value()).orElse("-");
        List<Object> flat = link.call(redis -> redis.<List<Object>>eval(LIST, ScriptOutputType.MULTI,
                new String[] {BY_ID, BY_EXPIRY}, first, Integer.toString(limit),
                Long.toString(clock.instant().toEpochMilli()), ID_KEY, TOKEN_KEY));
        List<TokenRecord> page = new ArrayList<>(flat.size() / 6);
        for (int i = 0; i + 5 < flat.size(); i += 6) {
            parse((String) flat.get(i), (String) flat.get(i + 1), (String) flat.get(i + 2), (String) flat.get(i + 3),
                    (String) flat.get(i + 4), (String) flat.get(i + 5)).ifPresent(page::add);
        }
        return page;
    }

    @Override
    public Optional<String> unavailableReason() {
        try {
            link.call(redis -> redis.ping());
            return Optional.empty();
        } catch (TokenStoreUnavailableException e) {
            return Optional.of(e.getMessage());
        }
    }

    /**
     * The connection this store talks to Redis over, for the usage ledger to share: one connection
     * per instance, with one way of failing. The store opens and closes it.
     */
    public RedisLink link() {
        return link;
    }

    /** How many validations this instance has cached; for tests. */
    int cachedValidations() {
        return cache.size();
    }

    /** A record from stored fields; anything malformed is refused, never guessed at. */
    private static Optional<TokenRecord> parse(String id, String agentName, String createdAt, String expiresAt,
            String limits, String identity) {
        try {
            if (id == null || agentName == null || createdAt == null || expiresAt == null || identity == null) {
                throw new IllegalArgumentException("a field is missing");
            }
            // Records written before limits existed have none.
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
        link.close();
    }
}
