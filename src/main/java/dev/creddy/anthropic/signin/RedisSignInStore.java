package dev.creddy.anthropic.signin;

import dev.creddy.anthropic.token.RedisKeys;
import dev.creddy.anthropic.token.RedisLink;
import dev.creddy.anthropic.token.RedisScript;
import dev.creddy.anthropic.token.RedisTokenStore;
import dev.creddy.anthropic.token.TokenId;
import io.lettuce.core.ScriptOutputType;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonString;
import java.io.StringReader;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Logger;

/**
 * The sign-in store every instance shares, in the token store's Redis: a device authorization begun on
 * one instance is approved and exchanged on any, a refresh works on any instance and after a restart.
 * Keys ({@link RedisKeys#signIn}) all carry the hash tag {@code {signin}}, so every script's keys share
 * one Cluster slot; each expires with what it holds (an authorization with its code, a session at
 * {@code device-session-max}). Codes and refresh tokens are kept only as digests.
 *
 * <p>Every change that must be atomic is one Lua script: adding an authorization (with the pending cap
 * and the user code's uniqueness), deciding or polling one (compare-and-set on its value), and above all
 * rotating a session: the script writes the next refresh digest only while the presented one is still
 * the chain's newest, so of two refreshes racing with one refresh token, on any instances, exactly one
 * wins and the other is seen as a reuse. Every used refresh digest keeps naming its chain until the chain
 * ends, so a copy presented later is recognized.
 *
 * <p>Redis unreachable: every method throws the link's {@code TokenStoreUnavailableException}.
 * Thread-safe; the link belongs to the token store.
 */
public final class RedisSignInStore implements SignInStore {

    private static final Logger LOG = Logger.getLogger(RedisSignInStore.class.getName());

    private static final RedisScript ADD_GRANT = new RedisScript(RedisScript.GRANTS + """
            -- KEYS: pending index, grant, user code
            -- ARGV: cap, now ms, digest, grant json, ttl ms, expiry ms
            require({'zremrangebyscore', KEYS[1], '0', '0'}, {'zcard', KEYS[1]}, {'exists', KEYS[3]},
              {'zadd', KEYS[1], '0', 'm'}, {'set', KEYS[2], 'v'}, {'set', KEYS[3], 'v'})
            redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
            if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) or redis.call('EXISTS', KEYS[3]) == 1 then
              return 0
            end
            redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[5])
            redis.call('SET', KEYS[3], ARGV[3], 'PX', ARGV[5])
            redis.call('ZADD', KEYS[1], ARGV[6], ARGV[3])
            return 1
            """);

    private static final RedisScript REPLACE_GRANT = new RedisScript(RedisScript.GRANTS + """
            -- KEYS: grant
            -- ARGV: the value it must still have, the next value
            require({'get', KEYS[1]}, {'set', KEYS[1], 'v'})
            if redis.call('GET', KEYS[1]) ~= ARGV[1] then
              return 0
            end
            redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
            return 1
            """);

    private static final RedisScript REMOVE_GRANT = new RedisScript(RedisScript.GRANTS + """
            -- KEYS: grant, user code, pending index
            -- ARGV: digest
            require({'del', KEYS[1], KEYS[2]}, {'zrem', KEYS[3], 'm'})
            redis.call('DEL', KEYS[1], KEYS[2])
            redis.call('ZREM', KEYS[3], ARGV[1])
            return 1
            """);

    private static final RedisScript PUT_SESSION = new RedisScript(RedisScript.GRANTS + """
            -- KEYS: session, the new refresh digest's key, the access token's key, the subject's sessions
            -- ARGV: the refresh digest it must still have ('' for a new chain), session json, new refresh digest,
            --       chain id, ttl ms
            require({'hget', KEYS[1], 'f'}, {'hset', KEYS[1], 'f', 'v'}, {'pexpire', KEYS[1], '1'}, {'set', KEYS[2], 'v'},
              {'set', KEYS[3], 'v'}, {'sadd', KEYS[4], 'm'}, {'pttl', KEYS[4]}, {'pexpire', KEYS[4], '1'})
            local current = redis.call('HGET', KEYS[1], 'refresh')
            if ARGV[1] == '' then
              if current then
                return 0
              end
            elseif current ~= ARGV[1] then
              return 0
            end
            redis.call('HSET', KEYS[1], 'refresh', ARGV[3], 'json', ARGV[2])
            redis.call('PEXPIRE', KEYS[1], ARGV[5])
            redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[5])
            redis.call('SET', KEYS[3], ARGV[4], 'PX', ARGV[5])
            redis.call('SADD', KEYS[4], ARGV[4])
            if redis.call('PTTL', KEYS[4]) < tonumber(ARGV[5]) then
              redis.call('PEXPIRE', KEYS[4], ARGV[5])
            end
            return 1
            """);

    private static final RedisScript END = new RedisScript(RedisScript.GRANTS + """
            -- KEYS: session, the subject's sessions
            -- ARGV: chain id
            require({'del', KEYS[1]}, {'srem', KEYS[2], 'm'})
            redis.call('DEL', KEYS[1])
            redis.call('SREM', KEYS[2], ARGV[1])
            return 1
            """);

    private final RedisLink link;
    private final RedisKeys keys;
    private final Clock clock;

    /** A store on the token store's link and key layout; {@code clock} times the sessions' expiry in Redis. */
    public RedisSignInStore(RedisLink link, RedisKeys keys, Clock clock) {
        this.link = link;
        this.keys = keys;
        this.clock = clock;
    }

    @Override
    public boolean addGrant(DeviceGrant grant, Instant now) {
        long ttl = Math.max(1, Duration.between(now, grant.expiresAt()).toMillis());
        Long added = link.call(redis -> ADD_GRANT.<Long>run(redis, ScriptOutputType.INTEGER,
                new String[] {keys.signIn("pending"), grantKey(grant.deviceCodeDigest()), userCodeKey(grant.userCode())},
                Integer.toString(MemorySignInStore.MAX_PENDING), Long.toString(now.toEpochMilli()), grant.deviceCodeDigest(),
                toJson(grant), Long.toString(ttl), Long.toString(grant.expiresAt().toEpochMilli())));
        return added != null && added == 1;
    }

    @Override
    public Optional<DeviceGrant> grantByDeviceCode(String deviceCodeDigest) {
        return Optional.ofNullable(link.call(redis -> redis.get(grantKey(deviceCodeDigest)))).flatMap(RedisSignInStore::grant);
    }

    @Override
    public Optional<DeviceGrant> grantByUserCode(String userCode) {
        String digest = link.call(redis -> redis.get(userCodeKey(userCode)));
        return digest == null ? Optional.empty() : grantByDeviceCode(digest);
    }

    @Override
    public boolean decide(String userCode, DeviceGrant.State decision, Person person, Instant now) {
        String digest = link.call(redis -> redis.get(userCodeKey(userCode)));
        if (digest == null) {
            return false;
        }
        String stored = link.call(redis -> redis.get(grantKey(digest)));
        Optional<DeviceGrant> grant = stored == null ? Optional.empty() : grant(stored);
        if (grant.isEmpty() || grant.get().state() != DeviceGrant.State.PENDING || !grant.get().expiresAt().isAfter(now)) {
            return false;
        }
        // Compare-and-set: a decision made meanwhile on another instance wins, and this one is refused.
        return replace(digest, stored, toJson(grant.get().decided(decision, person)));
    }

    @Override
    public Optional<DeviceGrant> poll(String deviceCodeDigest, Instant now) {
        for (int attempt = 0; attempt < 5; attempt++) {
            String stored = link.call(redis -> redis.get(grantKey(deviceCodeDigest)));
            Optional<DeviceGrant> grant = stored == null ? Optional.empty() : grant(stored);
            if (grant.isEmpty()) {
                return Optional.empty();
            }
            if (replace(deviceCodeDigest, stored, toJson(grant.get().polled(now)))) {
                return grant;
            }
            // Decided (or polled) meanwhile: read it again.
        }
        return grantByDeviceCode(deviceCodeDigest);
    }

    private boolean replace(String digest, String expected, String next) {
        Long replaced = link.call(redis -> REPLACE_GRANT.<Long>run(redis, ScriptOutputType.INTEGER,
                new String[] {grantKey(digest)}, expected, next));
        return replaced != null && replaced == 1;
    }

    @Override
    public void removeGrant(String deviceCodeDigest) {
        Optional<DeviceGrant> grant = grantByDeviceCode(deviceCodeDigest);
        if (grant.isEmpty()) {
            return;
        }
        link.call(redis -> REMOVE_GRANT.<Long>run(redis, ScriptOutputType.INTEGER, new String[] {grantKey(deviceCodeDigest),
                userCodeKey(grant.get().userCode()), keys.signIn("pending")}, deviceCodeDigest));
    }

    @Override
    public boolean putSession(SignInSession session, Optional<String> previousRefreshDigest) {
        long ttl = Math.max(1, Duration.between(clock.instant(), session.endsAt()).toMillis());
        Long put = link.call(redis -> PUT_SESSION.<Long>run(redis, ScriptOutputType.INTEGER,
                new String[] {sessionKey(session.chainId()), keys.signIn("refresh:" + session.refreshDigest()),
                        keys.signIn("access:" + session.accessTokenId().value()), subjectKey(session.person().subject())},
                previousRefreshDigest.orElse(""), toJson(session), session.refreshDigest(), session.chainId(), Long.toString(ttl)));
        return put != null && put == 1;
    }

    @Override
    public Optional<SignInSession> sessionByRefresh(String refreshDigest) {
        String chain = link.call(redis -> redis.get(keys.signIn("refresh:" + refreshDigest)));
        return chain == null ? Optional.empty() : session(chain);
    }

    @Override
    public Optional<SignInSession> sessionByAccessToken(TokenId id) {
        String chain = link.call(redis -> redis.get(keys.signIn("access:" + id.value())));
        return chain == null ? Optional.empty() : session(chain).filter(s -> s.accessTokenId().equals(id));
    }

    @Override
    public List<SignInSession> sessionsOf(String subject) {
        Set<String> chains = link.call(redis -> redis.smembers(subjectKey(subject)));
        List<SignInSession> found = new ArrayList<>();
        for (String chain : chains) {
            // The index is keyed by a digest: the session's own person says whose it is.
            session(chain).filter(s -> s.person().subject().equals(subject)).ifPresent(found::add);
        }
        return found;
    }

    @Override
    public void end(String chainId) {
        Optional<SignInSession> session = session(chainId);
        String subjectKey = session.map(s -> subjectKey(s.person().subject())).orElse(keys.signIn("subject:none"));
        // The used refresh digests' keys stay until they expire: they name a chain that no longer exists.
        link.call(redis -> END.<Long>run(redis, ScriptOutputType.INTEGER, new String[] {sessionKey(chainId), subjectKey},
                chainId));
    }

    private Optional<SignInSession> session(String chainId) {
        String json = link.call(redis -> redis.hget(sessionKey(chainId), "json"));
        if (json == null) {
            return Optional.empty();
        }
        try {
            JsonObject object = read(json);
            return Optional.of(new SignInSession(object.getString("chain"), person(object.getJsonObject("person")),
                    Instant.ofEpochMilli(object.getJsonNumber("ends_at").longValue()), new TokenId(object.getString("access_id")),
                    Instant.ofEpochMilli(object.getJsonNumber("access_expires_at").longValue()), object.getString("refresh")));
        } catch (RuntimeException e) {
            LOG.warning("sign-in store: refusing a malformed session in Redis (" + e.getClass().getSimpleName() + ")");
            return Optional.empty();
        }
    }

    private String grantKey(String digest) {
        return keys.signIn("grant:" + digest);
    }

    private String userCodeKey(String userCode) {
        return keys.signIn("user-code:" + userCode);
    }

    private String sessionKey(String chainId) {
        return keys.signIn("session:" + chainId);
    }

    private String subjectKey(String subject) {
        return keys.signIn("subject:" + RedisTokenStore.subjectDigest(subject));
    }

    private static String toJson(DeviceGrant grant) {
        var json = Json.createObjectBuilder().add("digest", grant.deviceCodeDigest()).add("user_code", grant.userCode())
                .add("expires_at", grant.expiresAt().toEpochMilli()).add("state", grant.state().name())
                .add("next_poll_at", grant.nextPollAt().toEpochMilli());
        grant.person().ifPresent(person -> json.add("person", toJson(person)));
        return json.build().toString();
    }

    private static JsonObject toJson(Person person) {
        JsonArrayBuilder groups = Json.createArrayBuilder();
        person.groups().forEach(groups::add);
        return Json.createObjectBuilder().add("issuer", person.issuer()).add("subject", person.subject())
                .add("name", person.name()).add("groups", groups).build();
    }

    private static String toJson(SignInSession session) {
        return Json.createObjectBuilder().add("chain", session.chainId()).add("person", toJson(session.person()))
                .add("ends_at", session.endsAt().toEpochMilli()).add("access_id", session.accessTokenId().value())
                .add("access_expires_at", session.accessExpiresAt().toEpochMilli()).add("refresh", session.refreshDigest())
                .build().toString();
    }

    private static Optional<DeviceGrant> grant(String json) {
        try {
            JsonObject object = read(json);
            return Optional.of(new DeviceGrant(object.getString("digest"), object.getString("user_code"),
                    Instant.ofEpochMilli(object.getJsonNumber("expires_at").longValue()),
                    DeviceGrant.State.valueOf(object.getString("state")),
                    object.containsKey("person") ? Optional.of(person(object.getJsonObject("person"))) : Optional.empty(),
                    Instant.ofEpochMilli(object.getJsonNumber("next_poll_at").longValue())));
        } catch (RuntimeException e) {
            LOG.warning("sign-in store: refusing a malformed device authorization in Redis (" + e.getClass().getSimpleName() + ")");
            return Optional.empty();
        }
    }

    private static Person person(JsonObject object) {
        return new Person(object.getString("issuer"), object.getString("subject"), object.getString("name"),
                object.getJsonArray("groups").getValuesAs(JsonString::getString));
    }

    private static JsonObject read(String json) {
        try (JsonReader reader = Json.createReader(new StringReader(json))) {
            return reader.readObject();
        }
    }
}
