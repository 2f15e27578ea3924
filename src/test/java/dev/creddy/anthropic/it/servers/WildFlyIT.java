package dev.creddy.anthropic.it.servers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;

/**
 * WildFly from Maven Central, run by its own start script with a fresh copy of {@code standalone/}
 * as the server base, bound to 127.0.0.1 (public and management interfaces) with a port offset. The
 * secrets are bound with {@code webapp-config/wildfly/creddy-jndi.cli} as it ships, then the EE WAR
 * is deployed through the CLI; the Tomcat WAR must be refused. HttpClient's loggers are turned up
 * to DEBUG first, to prove the WAR's own no-op SLF4J binding wins over WildFly's.
 */
class WildFlyIT extends RealServerSmoke {

    private static final Duration CLI_DEADLINE = Duration.ofMinutes(2);

    private Path home;
    private Path base;
    private int offset;

    WildFlyIT() {
        super("java:global/creddy/");
    }

    @BeforeAll
    @Timeout(300)
    void startWildFly() throws Exception {
        home = required("creddy.wildfly.home");
        Path config = required("creddy.config.dir");
        base = RunDirectory.fresh(home.getFileName().toString());
        RunDirectory.copyTree(home.resolve("standalone"), base);
        offset = LoopbackNetwork.freeOffset(8080, 8443, 9990, 9993, 4712, 4713);

        Map<String, String> environment = new HashMap<>(provisioningEnvironment());
        // The script then runs the JVM as its child and relays TERM to it, so a stop by PID is a clean shutdown.
        environment.put("LAUNCH_JBOSS_IN_BACKGROUND", "true");
        String proxyUrl = "http://127.0.0.1:" + (8080 + offset) + "/creddy-anthropic";
        long launched = System.nanoTime();
        ServerProcess server = ServerProcess.start("wildfly", List.of("sh", home.resolve("bin/standalone.sh").toString(),
                "-b", "127.0.0.1", "-bmanagement", "127.0.0.1",
                "-Djboss.socket.binding.port-offset=" + offset,
                "-Djboss.server.base.dir=" + base), environment, base, base.resolve("log/console.out"));
        started(server, proxyUrl);
        awaitBooted(launched);
        Duration booted = Duration.ofNanos(System.nanoTime() - launched);

        String bound = cli("--file=" + config.resolve("webapp-config/wildfly/creddy-jndi.cli"));
        assertTrue(bound.contains("The batch executed successfully"), bound);

        long deploying = System.nanoTime();
        cli("--commands=/subsystem=logging/logger=org.apache.hc:add(level=DEBUG),deploy " + required("creddy.war.ee"));
        Duration deployToReady = awaitHealthy(server, proxyUrl, deploying);
        reportTiming(runRoot(), String.format("%s: launch to booted %.1f s; deploy (CLI) to ready %.1f s",
                home.getFileName(), booted.toMillis() / 1000.0, deployToReady.toMillis() / 1000.0));
    }

    private void awaitBooted(long since) throws InterruptedException {
        long deadline = since + START_DEADLINE.toNanos();
        while (System.nanoTime() < deadline) {
            String console = server().console();
            if (console.contains("WFLYSRV0025")) {
                return;
            }
            if (console.contains("WFLYSRV0026") || !server().isAlive()) {
                throw new AssertionError("WildFly did not boot cleanly:\n" + tail(console));
            }
            Thread.sleep(200);
        }
        throw new AssertionError("WildFly did not boot within " + START_DEADLINE + ":\n" + tail(server().console()));
    }

    /** Runs jboss-cli against this server; its output, after checking it succeeded. */
    private String cli(String... arguments) throws IOException, InterruptedException {
        CliRun run = runCli(arguments);
        assertEquals(0, run.exitCode(), "jboss-cli " + String.join(" ", arguments) + ":\n" + run.output());
        return run.output();
    }

    private record CliRun(int exitCode, String output) {
    }

    private CliRun runCli(String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("sh", home.resolve("bin/jboss-cli.sh").toString(),
                "--connect", "--controller=127.0.0.1:" + (9990 + offset)));
        command.addAll(List.of(arguments));
        try (ServerProcess cli = ServerProcess.start("jboss-cli", command, Map.of(), base, base.resolveSibling(base.getFileName() + "-cli.out"))) {
            int exitCode = cli.awaitExit(CLI_DEADLINE);
            return new CliRun(exitCode, cli.console());
        }
    }

    @Override
    String serverLogs() throws IOException {
        return readLogs(base.resolve("log"));
    }

    @Override
    void assertWrongWarRefused() throws Exception {
        CliRun refused = runCli("--command=deploy " + required("creddy.war.tomcat"));
        assertNotEquals(0, refused.exitCode(), refused.output());
        assertTrue(refused.output().contains("creddy-anthropic-tomcat.war is for Tomcat"), refused.output());
        assertTrue(refused.output().contains("deploy creddy-anthropic.war instead."), refused.output());
    }

    /** With org.apache.hc at DEBUG, nothing of HttpClient's may reach WildFly's log: its headers carry the key. */
    @Override
    void afterStop(String logs) {
        assertTrue(logs.contains("WFLYSRV0010: Deployed \"creddy-anthropic.war\""), "server.log is complete");
        assertFalse(logs.contains("org.apache.hc"), "HttpClient logged through WildFly's SLF4J");
    }
}
