package dev.creddy.anthropic.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.config.RedisSettings;
import dev.creddy.anthropic.config.RedisTls;
import dev.creddy.anthropic.it.support.RedisCluster;
import dev.creddy.anthropic.it.support.RedisServer;
import dev.creddy.anthropic.usage.RedisUsageLedger;
import io.lettuce.core.cluster.SlotHash;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 16, Cluster: three masters with a replica each, six real redis-server processes. Two
 * instances (stores with their ledgers) run rounds of issue → validate on the other → admit →
 * revoke → refused on both, from two threads, while one master is killed with SIGKILL. The test
 * waits for its replica to be promoted and for a round whose token lives on the killed master's
 * slots to work on both instances again; it prints how long that took. Then: every revocation
 * acknowledged by a master that is still alive (every surviving master's, and every one sent after
 * the kill) is refused on both instances, as is every revocation acknowledged before the load began
 * (replicated, checked by offsets). Revocations the killed master acknowledged in its last moments
 * may not have reached its replica (Redis replicates asynchronously, see docs/redis.md): they are
 * counted and printed, not asserted.
 */
@Timeout(120)
class RedisClusterFailoverTest {

    /** Generous for a loaded two-core machine: cluster-node-timeout is 2 s, Lettuce's topology refresh adaptive. */
    private static final Duration RECOVERY_DEADLINE = Duration.ofSeconds(40);
    private static final TokenLimits LIMITED = new TokenLimits(OptionalLong.of(1_000_000), OptionalLong.empty(),
            OptionalLong.empty(), List.of());
    private static final RedisKeys KEYS = new RedisKeys(RedisSettings.DEFAULT_KEY_PREFIX);

    @RegisterExtension
    static final RedisCluster CLUSTER = RedisCluster.start(1);

    private final List<AutoCloseable> opened = new ArrayList<>();

    @AfterEach
    void closeInstances() throws Exception {
        for (AutoCloseable closeable : opened) {
            closeable.close();
        }
    }

    private record Instance(RedisTokenStore store, RedisUsageLedger ledger) {
    }

    private Instance instance() throws InterruptedException {
        RedisSettings settings = new RedisSettings(URI.create(CLUSTER.url()), Optional.empty(), Duration.ofSeconds(2),
                Duration.ofSeconds(1), Optional.empty(), Optional.empty(), RedisSettings.DEFAULT_KEY_PREFIX, true, RedisTls.DEFAULT);
        RedisTokenStore store = new RedisTokenStore(settings, new TokenSecrets(), Clock.systemUTC());
        opened.add(0, store);
        store.start();
        RedisClusterTokenStoreContractTest.awaitReady(store);
        RedisUsageLedger ledger = new RedisUsageLedger(store.link(), Duration.ofDays(1));
        opened.add(0, ledger);
        return new Instance(store, ledger);
    }

    /** A revocation the store acknowledged, when its call began, and the slot of the token's key. */
    private record Revoked(IssuedToken token, long startedNanos, int slot) {
    }

    private static int slotOf(IssuedToken token) {
        return SlotHash.getSlot(KEYS.token(token.record().id().value()));
    }

    @Test
    void aKilledMasterIsReplacedByItsReplicaAndNoRevokedTokenIsAccepted() throws Exception {
        Instance a = instance();
        Instance b = instance();

        List<Revoked> before = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            IssuedToken token = a.store().issue(new TokenGrant("before-" + i, Duration.ofHours(1), LIMITED));
            assertTrue(b.store().validate(token.secret()).isPresent());
            assertTrue(b.store().revoke(token.record().id()));
            before.add(new Revoked(token, System.nanoTime(), slotOf(token)));
        }
        CLUSTER.awaitReplicated(Duration.ofSeconds(20));

        // The master to kill: the one holding the first token's slot; a later round must land there.
        int targetSlot = before.get(0).slot();
        RedisServer victim = CLUSTER.masterOf(targetSlot);
        List<RedisServer> replicas = CLUSTER.replicasOf(victim);
        assertEquals(1, replicas.size(), "the victim has its replica");
        RedisServer heir = replicas.get(0);

        ConcurrentLinkedQueue<Revoked> acknowledged = new ConcurrentLinkedQueue<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong rounds = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        ExecutorService load = Executors.newFixedThreadPool(2);
        List<Future<?>> loaders = new ArrayList<>();
        try {
            for (Instance[] pair : List.of(new Instance[] {a, b}, new Instance[] {b, a})) {
                loaders.add(load.submit(() -> {
                    while (!stop.get()) {
                        try {
                            round(pair[0], pair[1], acknowledged);
                            rounds.incrementAndGet();
                        } catch (TokenStoreUnavailableException e) {
                            failed.incrementAndGet();
                            sleep(20);
                        }
                    }
                    return null;
                }));
            }
            awaitCount("load is running", rounds, 20);

            victim.kill();
            long killed = System.nanoTime();
            long deadline = killed + RECOVERY_DEADLINE.toNanos();
            while (!RedisCluster.isMaster(heir)) {
                assertTrue(System.nanoTime() - deadline < 0, "the replica was not promoted within " + RECOVERY_DEADLINE);
                Thread.sleep(20);
            }
            Duration promoted = Duration.ofNanos(System.nanoTime() - killed);
            Duration served = awaitServingOn(a, b, victim, heir, killed, deadline);
            long roundsAtRecovery = rounds.get();
            awaitCount("the load goes on after the failover", rounds, roundsAtRecovery + 20);
            stop.set(true);
            for (Future<?> loader : loaders) {
                loader.get(30, TimeUnit.SECONDS);
            }
            System.out.println("Cluster master killed (SIGKILL): replica promoted after " + promoted.toMillis() + " ms; "
                    + "issuance, validation, admission and revocation on its slots work on both instances again after "
                    + served.toMillis() + " ms; " + rounds.get() + " load rounds, " + failed.get() + " failed while it switched "
                    + "(loaded 2-core machine)");

            List<Revoked> mustHold = new ArrayList<>(before);
            List<Revoked> maybeLost = new ArrayList<>();
            for (Revoked revoked : acknowledged) {
                boolean onVictim = CLUSTER.masterOf(revoked.slot()) == heir;
                if (onVictim && revoked.startedNanos() - killed < 0) {
                    maybeLost.add(revoked);
                } else {
                    mustHold.add(revoked);
                }
            }
            awaitRefusedEverywhere(mustHold, a, b);
            long lost = maybeLost.stream().filter(revoked -> a.store().validate(revoked.token().secret()).isPresent()
                    || b.store().validate(revoked.token().secret()).isPresent()).count();
            System.out.println("Cluster master killed: " + mustHold.size() + " revocations acknowledged by a live master all "
                    + "hold; of " + maybeLost.size() + " the killed master acknowledged during the load, " + lost
                    + " did not reach its replica in time (asynchronous replication)");
            assertTrue(mustHold.size() > before.size(), "the load revoked tokens on the surviving masters or after the kill");
        } finally {
            stop.set(true);
            load.shutdownNow();
            load.awaitTermination(30, TimeUnit.SECONDS);
        }
    }

    /**
     * One round: {@code issuer} issues, {@code other} validates and admits, {@code issuer} revokes, and
     * both refuse it. Throws {@link TokenStoreUnavailableException} while a slot has no master.
     */
    private static void round(Instance issuer, Instance other, ConcurrentLinkedQueue<Revoked> acknowledged) {
        IssuedToken token = issuer.store().issue(new TokenGrant("load", Duration.ofHours(1), LIMITED));
        Optional<TokenRecord> seen = other.store().validate(token.secret());
        if (seen.isEmpty()) {
            return; // its issuance was lost with the killed master; the agent would ask again
        }
        other.ledger().admit(seen.get(), Instant.now());
        long started = System.nanoTime();
        if (issuer.store().revoke(token.record().id())) {
            acknowledged.add(new Revoked(token, started, slotOf(token)));
        }
    }

    /**
     * Polls until a round on the killed master's slots (now the heir's) works both ways; the time
     * since the kill. Tokens that land elsewhere are revoked and tried again.
     */
    private static Duration awaitServingOn(Instance a, Instance b, RedisServer victim, RedisServer heir, long killed,
            long deadline) throws Exception {
        String last = "nothing tried";
        int servedRounds = 0;
        while (System.nanoTime() - deadline < 0) {
            try {
                Instance issuer = servedRounds % 2 == 0 ? a : b;
                Instance other = issuer == a ? b : a;
                IssuedToken token = issuer.store().issue(new TokenGrant("probe", Duration.ofHours(1), LIMITED));
                boolean onHeir = CLUSTER.masterOf(slotOf(token)) == heir;
                Optional<TokenRecord> seen = other.store().validate(token.secret());
                boolean works = seen.isPresent() && other.ledger().admit(seen.get(), Instant.now()).admitted()
                        && issuer.store().revoke(token.record().id())
                        && issuer.store().validate(token.secret()).isEmpty();
                if (works && onHeir && ++servedRounds == 2) {
                    return Duration.ofNanos(System.nanoTime() - killed);
                }
                last = works ? "the token landed on another master" : "a round did not hold";
            } catch (TokenStoreUnavailableException | IllegalStateException e) {
                last = e.getMessage();
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the killed master's slots were not served again within " + RECOVERY_DEADLINE + "; last: " + last);
    }

    /** Every one refused by both instances, within the cache's TTL and then for good. */
    private static void awaitRefusedEverywhere(List<Revoked> revoked, Instance a, Instance b) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        for (Revoked one : revoked) {
            for (Instance instance : List.of(a, b)) {
                while (true) {
                    Optional<TokenRecord> accepted;
                    try {
                        accepted = instance.store().validate(one.token().secret());
                    } catch (TokenStoreUnavailableException e) {
                        accepted = null;
                    }
                    if (accepted != null && accepted.isEmpty()) {
                        break;
                    }
                    assertTrue(System.nanoTime() - end < 0, "a revoked token is still accepted (or unanswered): "
                            + one.token().record().id() + " on slot " + one.slot());
                    Thread.sleep(20);
                }
            }
        }
    }

    private static void awaitCount(String what, AtomicLong count, long atLeast) throws InterruptedException {
        long end = System.nanoTime() + RECOVERY_DEADLINE.toNanos();
        while (count.get() < atLeast) {
            assertTrue(System.nanoTime() - end < 0, "not within " + RECOVERY_DEADLINE + ": " + what + " (" + count.get() + ")");
            Thread.sleep(20);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
