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
 * A real Redis Cluster of three masters on loopback, made with {@code redis-cli --cluster create}
 * for one test class, each node a {@link RedisServer} stopped by its PID. As a JUnit extension it
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
        List<RedisServer> nodes = new ArrayList<>();
        RedisCluster cluster = new RedisCluster(nodes);
        try {
            for (int i = 0; i < 3; i++) {
                nodes.add(RedisServer.start(List.of("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                        "--cluster-node-timeout", "2000")));
            }
            List<String> command = new ArrayList<>(List.of(RedisServer.binary("redis-cli"), "--cluster", "create"));
            nodes.forEach(node -> command.add("127.0.0.1:" + node.port()));
            command.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
            Process create = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(nodes.get(0).dir().resolve("cluster-create.out").toFile()).start();
            if (!create.waitFor(60, TimeUnit.SECONDS) || create.exitValue() != 0) {
                create.destroyForcibly();
                throw new IllegalStateException("redis-cli --cluster create failed");
            }
            long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!nodes.stream().allMatch(RedisCluster::isOk)) {
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

    private static boolean isOk(RedisServer node) {
        try {
            return ((String) node.call("CLUSTER", "INFO")).contains("cluster_state:ok");
        } catch (IOException e) {
            return false;
        }
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
