package dev.creddy.anthropic.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.config.RedisSettings;
import dev.creddy.anthropic.config.Secret;
import dev.creddy.anthropic.it.support.RedisServer;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 16: readiness that tells the truth, and what the store does under the Redis settings that
 * used to lose tokens: an eviction policy, a full Redis under noeviction, a replica, a least-privilege
 * ACL user (the README's command list), a user-only URL with the password set apart, wrong passwords.
 * One real redis-server for the class, reconfigured by each test and put back after it.
 */
@Timeout(60)
class RedisReadinessTest {

    /** The README's least-privilege rule, exactly. */
    static final List<String> LEAST_PRIVILEGE = List.of("on", "~creddy:*", "&creddy:*", "-@all", "+ping", "+info",
            "+client|setname", "+hello", "+auth", "+evalsha", "+eval", "+hset", "+hsetnx", "+hget", "+hgetall", "+hmget",
            "+hincrby", "+pexpire", "+del", "+publish", "+subscribe", "+zadd", "+zrem", "+zrangebylex", "+zrangebyscore",
            "+zmscore", "+zcount", "+set", "+zremrangebyscore", "+zrange", "+zcard", "+get", "+exists", "+sadd", "+srem",
            "+smembers", "+pttl", "+mget");

    @RegisterExtension
    static final RedisServer REDIS = RedisServer.start();

    private final List<RedisTokenStore> stores = new ArrayList<>();

    @BeforeEach
    void emptyRedis() throws Exception {
        REDIS.call("FLUSHALL");
    }

    @AfterEach
    void putRedisBack() throws Exception {
        stores.forEach(RedisTokenStore::close);
        REDIS.call("CONFIG", "SET", "maxmemory-policy", "noeviction");
        REDIS.call("CONFIG", "SET", "maxmemory", "0");
        REDIS.call("REPLICAOF", "NO", "ONE");
        REDIS.call("ACL", "DELUSER", "creddy");
        REDIS.call("FLUSHALL");
    }

    private RedisTokenStore store(String url, Optional<Secret> password) {
        RedisTokenStore store = new RedisTokenStore(new RedisSettings(URI.create(url), password, Duration.ofSeconds(1),
                Duration.ofSeconds(1)), new TokenSecrets(), Clock.systemUTC());
        stores.add(store);
        store.start();
        return store;
    }

    private RedisTokenStore store() {
        return store(REDIS.url(), Optional.empty());
    }

    private void user(String password, List<String> rules) throws Exception {
        List<String> command = new ArrayList<>(List.of("ACL", "SETUSER", "creddy", "reset", ">" + password));
        command.addAll(rules);
        REDIS.call(command.toArray(String[]::new));
    }

    @Test
    void readyOnAWritablePrimaryWithNoeviction() {
        assertEquals(Optional.empty(), store().unavailableReason());
    }

    @Test
    void anEvictionPolicyIsRefusedWithAMessageSayingNoeviction() throws Exception {
        RedisTokenStore store = store();
        for (String policy : List.of("allkeys-lru", "volatile-lru", "volatile-ttl")) {
            REDIS.call("CONFIG", "SET", "maxmemory-policy", policy);
            String reason = store.unavailableReason().orElseThrow();
            assertTrue(reason.contains("maxmemory-policy is " + policy) && reason.contains("noeviction"), reason);
        }
    }

    @Test
    void underNoevictionOomFailsClosedAndRevocationStillWorks() throws Exception {
        RedisTokenStore store = store();
        IssuedToken token = store.issue("before-oom", Duration.ofHours(1));
        REDIS.call("CONFIG", "SET", "maxmemory", "1");
        String reason = store.unavailableReason().orElseThrow();
        assertTrue(reason.contains("out of memory"), reason);
        TokenStoreUnavailableException refused = assertThrows(TokenStoreUnavailableException.class,
                () -> store.issue("during-oom", Duration.ofHours(1)));
        assertTrue(refused.getMessage().contains("out of memory"), refused.getMessage());
        assertTrue(store.revoke(token.record().id()), "revocation deletes, and Redis lets deletes through when full");
        assertEquals(Optional.empty(), store.validate(token.secret()));
    }

    @Test
    void aReplicaIsNotReadyAndSaysReadOnly() throws Exception {
        RedisTokenStore store = store();
        // A replica of a master that is not there: it keeps answering, read-only.
        REDIS.call("REPLICAOF", "127.0.0.1", Integer.toString(RedisServer.freePort()));
        String reason = store.unavailableReason().orElseThrow();
        assertTrue(reason.contains("read-only"), reason);
    }

    @Test
    void theLeastPrivilegeUserOfTheReadmeIsEnoughAndAUserOnlyUrlTakesThePasswordApart() throws Exception {
        user("s3cret", LEAST_PRIVILEGE);
        RedisTokenStore store = store("redis://creddy@127.0.0.1:" + REDIS.port() + "/0", Optional.of(Secret.of("s3cret")));
        assertEquals(Optional.empty(), store.unavailableReason());
        IssuedToken token = store.issue("acl", Duration.ofHours(1));
        assertTrue(store.validate(token.secret()).isPresent());
        assertEquals(1, store.list(10, Optional.empty()).size());
        assertTrue(store.activeCount() >= 1);
        assertTrue(store.revoke(token.record().id()));
        assertEquals(Optional.empty(), store.validate(token.secret()));

        // A person's tokens (the subject index) and their sign-ins (the sign-in store) with the same grants.
        AgentIdentity person = new AgentIdentity("https://login.example/", "acl-person", null, null, List.of(), null, List.of());
        IssuedToken theirs = store.issue(new TokenGrant("acl-person", Duration.ofHours(1), TokenLimits.NONE, Optional.of(person)));
        dev.creddy.anthropic.signin.SignInStore signIns = new dev.creddy.anthropic.signin.RedisSignInStore(store.link(),
                store.keys(), Clock.systemUTC());
        java.time.Instant now = java.time.Instant.now();
        dev.creddy.anthropic.signin.DeviceGrant grant = new dev.creddy.anthropic.signin.DeviceGrant("digest-acl", "BCDF-GHJK",
                now.plusSeconds(600), dev.creddy.anthropic.signin.DeviceGrant.State.PENDING, Optional.empty(), now);
        assertTrue(signIns.addGrant(grant, now));
        dev.creddy.anthropic.signin.Person signedIn = new dev.creddy.anthropic.signin.Person("https://login.example/",
                "acl-person", "acl-person", List.of());
        assertTrue(signIns.decide("BCDF-GHJK", dev.creddy.anthropic.signin.DeviceGrant.State.APPROVED, signedIn, now));
        assertTrue(signIns.poll("digest-acl", now).isPresent());
        signIns.removeGrant("digest-acl");
        assertTrue(signIns.putSession(new dev.creddy.anthropic.signin.SignInSession("chain-acl", signedIn, now.plusSeconds(3600),
                theirs.record().id(), theirs.record().expiresAt(), "refresh-acl"), Optional.empty()));
        assertEquals(1, signIns.sessionsOf("acl-person").size());
        signIns.end("chain-acl");
        assertEquals(List.of(theirs.record().id()), store.revokeSubject("acl-person", Optional.empty()).stream()
                .map(TokenRecord::id).toList());
    }

    @Test
    void aMissingGrantIsNamedAndARevocationWithoutDelLeavesTheTokenWhole() throws Exception {
        List<String> withoutDel = new ArrayList<>(LEAST_PRIVILEGE);
        withoutDel.remove("+del");
        user("s3cret", withoutDel);
        RedisTokenStore store = store("redis://creddy@127.0.0.1:" + REDIS.port() + "/0", Optional.of(Secret.of("s3cret")));
        String reason = store.unavailableReason().orElseThrow();
        assertTrue(reason.contains("permission denied") && reason.contains("'del'"), reason);

        IssuedToken token = store.issue("no-del", Duration.ofHours(1));
        TokenStoreUnavailableException refused = assertThrows(TokenStoreUnavailableException.class,
                () -> store.revoke(token.record().id()));
        assertTrue(refused.getMessage().contains("'del'"), refused.getMessage());
        assertTrue(store.validate(token.secret()).isPresent(), "the token is whole");
        assertEquals(List.of(token.record().id()), store.list(10, Optional.empty()).stream().map(TokenRecord::id).toList(),
                "and still listed");
    }

    @Test
    void aWrongPasswordIsReportedAsAuthenticationNotAsUnreachable() throws Exception {
        user("s3cret", LEAST_PRIVILEGE);
        RedisTokenStore store = store("redis://creddy@127.0.0.1:" + REDIS.port() + "/0", Optional.of(Secret.of("wrong")));
        // start() waits one command timeout (1 s) for the first connect; on a loaded machine the
        // refused handshake can come later, and until it does the link truly has not reached Redis.
        String reason = store.unavailableReason().orElseThrow();
        for (long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                reason.contains("cannot be reached yet") && System.nanoTime() < deadline; ) {
            Thread.sleep(50);
            reason = store.unavailableReason().orElseThrow();
        }
        assertTrue(reason.contains("authentication failed"), reason);
        assertFalse(reason.contains("wrong"), "no password in the reason: " + reason);
    }
}
