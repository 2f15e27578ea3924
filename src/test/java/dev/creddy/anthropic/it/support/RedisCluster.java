package dev.creddy.anthropic.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real Redis Cluster of three masters on loopback (optionally with replicas, for failover tests),
 * made with {@code redis-cli --cluster create} for one test class, each node a {@link RedisServer}
 * stopped by its PID. As a JUnit extension it
 * closes itself after the class.
 *
 * <p>Not thread-safe: one test thread drives it.
 */
public final class RedisCluster implements AutoCloseable, AfterAllCallback {

    private final List<RedisServer> nodes;

    private RedisCluster(List<RedisServer> nodes) {
        this.nodes = nodes;
    }

    /** Starts three nodes, joins them (all 16384 slots assigned) and waits until each says the cluster is ok. */
    public static RedisCluster start() {
        return start(0);
    }

    /**
     * Starts three masters with {@code replicasPerMaster} replicas each ({@code --cluster-replicas}),
     * joins them and waits until every node says the cluster is ok and knows every other, and every
     * replica's link to its master is up.
     */
    public static RedisCluster start(int replicasPerMaster) {
        List<RedisServer> nodes = new ArrayList<>();
        RedisCluster cluster = new RedisCluster(nodes);
        int count = 3 * (1 + replicasPerMaster);
        try {
            for (int i = 0; i < count; i++) {
                nodes.add(RedisServer.start(List.of("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                        "--cluster-node-timeout", "2000")));
            }
            List<String> command = new ArrayList<>(List.of(RedisServer.binary("redis-cli"), "--cluster", "create"));
            nodes.forEach(node -> command.add("127.0.0.1:" + node.port()));
            command.addAll(List.of("--cluster-replicas", Integer.toString(replicasPerMaster), "--cluster-yes"));
            Process create = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(nodes.get(0).dir().resolve("cluster-create.out").toFile()).start();
            if (!create.waitFor(60, TimeUnit.SECONDS) || create.exitValue() != 0) {
                create.destroyForcibly();
                throw new IllegalStateException("redis-cli --cluster create failed");
            }
            long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!nodes.stream().allMatch(node -> isOk(node, count)) || !cluster.replicasInSync()) {
                if (System.nanoTime() - end > 0) {
                    throw new IllegalStateException("the cluster did not become ok");
                }
                Thread.sleep(50);
            }
            return cluster;
        } catch (IOException e) {
            cluster.closeQuietly();
            throw new UncheckedIOException(e);
        } catch (InterruptedException | RuntimeException e) {
            cluster.closeQuietly();
            throw new IllegalStateException("cannot start a Redis Cluster", e);
        }
    }

    private static boolean isOk(RedisServer node, int count) {
        try {
            String info = (String) node.call("CLUSTER", "INFO");
            return info.contains("cluster_state:ok") && info.contains("cluster_known_nodes:" + count + "\r\n");
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether every live replica's link to its master is up. */
    private boolean replicasInSync() {
        try {
            for (RedisServer node : nodes) {
                String info = replication(node);
                if (info.contains("role:slave") && !info.contains("master_link_status:up")) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String replication(RedisServer node) throws IOException {
        return (String) node.call("INFO", "replication");
    }

    /** The live node that is master of {@code slot} now, as it says itself ({@code CLUSTER NODES}, its own line). */
    public RedisServer masterOf(int slot) throws IOException {
        for (RedisServer node : nodes) {
            if (!node.isRunning()) {
                continue;
            }
            for (String line : ((String) node.call("CLUSTER", "NODES")).split("\n")) {
                String[] fields = line.trim().split(" ");
                if (fields.length < 3 || !fields[2].contains("myself") || !fields[2].contains("master")) {
                    continue;
                }
                for (int i = 8; i < fields.length; i++) {
                    if (fields[i].startsWith("[")) {
                        continue; // a slot being migrated
                    }
                    String[] range = fields[i].split("-");
                    int from = Integer.parseInt(range[0]);
                    int to = Integer.parseInt(range[range.length - 1]);
                    if (slot >= from && slot <= to) {
                        return node;
                    }
                }
            }
        }
        throw new IllegalStateException("no live master serves slot " + slot);
    }

    /** The replicas of {@code master}, as they say themselves ({@code INFO replication}'s master_port). */
    public List<RedisServer> replicasOf(RedisServer master) throws IOException {
        List<RedisServer> replicas = new ArrayList<>();
        for (RedisServer node : nodes) {
            if (node != master && node.isRunning()) {
                String info = replication(node);
                if (info.contains("role:slave") && info.contains("master_port:" + master.port() + "\r\n")) {
                    replicas.add(node);
                }
            }
        }
        return replicas;
    }

    /** Whether {@code node} says it is a master now. */
    public static boolean isMaster(RedisServer node) throws IOException {
        return replication(node).contains("role:master");
    }

    /**
     * Waits until every live replica has applied everything its master had written when this was
     * called (replication offsets): what was acknowledged so far would survive a failover.
     */
    public void awaitReplicated(Duration deadline) throws IOException, InterruptedException {
        java.util.Map<Integer, Long> written = new java.util.HashMap<>();
        for (RedisServer node : nodes) {
            if (node.isRunning() && isMaster(node)) {
                written.put(node.port(), field(replication(node), "master_repl_offset"));
            }
        }
        long end = System.nanoTime() + deadline.toNanos();
        for (RedisServer node : nodes) {
            while (node.isRunning()) {
                String info = replication(node);
                if (!info.contains("role:slave")) {
                    break;
                }
                long masterPort = field(info, "master_port");
                Long target = written.get((int) masterPort);
                if (target == null || field(info, "slave_repl_offset") >= target) {
                    break;
                }
                if (System.nanoTime() - end > 0) {
                    throw new IllegalStateException("replica " + node.port() + " did not catch up within " + deadline + ":\n" + info);
                }
                Thread.sleep(20);
            }
        }
    }

    private static long field(String info, String name) {
        for (String line : info.split("\r\n")) {
            if (line.startsWith(name + ":")) {
                return Long.parseLong(line.substring(name.length() + 1).trim());
            }
        }
        throw new IllegalStateException("no " + name + " in\n" + info);
    }

    /** The proxy's URL: every node as a seed. */
    public String url() {
        return "redis://" + nodes.stream().map(node -> "127.0.0.1:" + node.port()).collect(Collectors.joining(",")) + "/0";
    }

    /** Empties every node. */
    public void flushAll() throws IOException {
        for (RedisServer node : nodes) {
            node.call("FLUSHALL");
        }
    }

    public List<RedisServer> nodes() {
        return List.copyOf(nodes);
    }

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        close();
    }

    @Override
    public void close() throws InterruptedException {
        for (RedisServer node : nodes) {
            node.close();
        }
    }

    private void closeQuietly() {
        try {
            close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
