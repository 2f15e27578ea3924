package dev.creddy.anthropic.it.servers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyWar;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;

/**
 * Payara Micro from Maven Central, the EE WAR at {@code /proxy} and the Tomcat WAR beside it (which
 * must be refused), the secrets created as custom resources by
 * {@code webapp-config/payara/post-boot-commands.asadmin} as it ships.
 *
 * <p>Payara's data grid listens on every interface on port 6900 whatever the flags, so this test
 * runs only inside a private network namespace whose one interface is loopback (the build runs the
 * servers suite that way); outside one it refuses to start Payara at all.
 */
class PayaraMicroIT extends RealServerSmoke {

    private static final Pattern DEPLOYED_IN = Pattern.compile("creddy-anthropic was successfully deployed in ([\\d,.]+) milliseconds");

    private Path root;

    PayaraMicroIT() {
        super("creddy/");
    }

    @BeforeAll
    @Timeout(300)
    void startPayaraMicro() throws Exception {
        assertTrue(LoopbackNetwork.onlyLoopbackInterfaces(), "Payara's data grid would listen on every interface:"
                + " run this test in a private network namespace (./mvnw verify does, see src/test/netns)");
        Path jar = required("creddy.payara.jar");
        Path commands = required("creddy.config.dir").resolve("webapp-config/payara/post-boot-commands.asadmin");
        root = RunDirectory.fresh("payara-micro");
        int port = LoopbackNetwork.freePort();
        String proxyUrl = "http://127.0.0.1:" + port + "/proxy";
        long launched = System.nanoTime();
        ServerProcess server = ServerProcess.start("payara-micro", List.of(ProcessHandle.current().info().command().orElseThrow(),
                "-jar", jar.toString(), "--nocluster", "--port", Integer.toString(port),
                "--rootdir", root.resolve("instance").toString(),
                "--postbootcommandfile", commands.toString(),
                "--deploy", required("creddy.war.ee") + ":/proxy",
                "--deploy", required("creddy.war.tomcat") + ":/wrong-flavour"),
                provisioningEnvironment(), root, root.resolve("console.out"));
        started(server, proxyUrl);
        Duration ready = awaitHealthy(server, proxyUrl, launched);
        Matcher deployed = DEPLOYED_IN.matcher(server.console());
        reportTiming(runRoot(), String.format("payara-micro: launch to ready %.1f s; deployment %s", ready.toMillis() / 1000.0,
                deployed.find() ? deployed.group(1).replace(",", "") + " ms (Payara's count)" : "time not logged"));
    }

    /** Only in the private network namespace checked above, whose one interface is loopback. */
    @Override
    boolean mayListenOnWildcard() {
        return true;
    }

    @Override
    String serverLogs() throws IOException {
        return readLogs(root);
    }

    @Override
    void assertWrongWarRefused() throws Exception {
        ProxyHttp wrong = new ProxyHttp(proxyUrl().replace("/proxy", "/wrong-flavour"));
        assertEquals(404, wrong.send(wrong.request("/health").GET().build()).statusCode(), "the Tomcat WAR must not run on Payara");
        String console = server().console();
        assertTrue(console.contains("creddy-anthropic-tomcat.war is for Tomcat"), tail(console));
        assertTrue(console.contains("deploy creddy-anthropic.war instead."), tail(console));
    }

    /** The custom resources hold the ${ENV=...} expressions, not the secrets: no file Payara wrote has the key. */
    @Override
    void afterStop(String logs) throws IOException {
        String domain = Files.readString(root.resolve("instance/config/domain.xml"));
        assertTrue(domain.contains("${ENV=ANTHROPIC_API_KEY}"), "the key's custom resource");
        assertFalse(domain.contains(ProxyWar.REAL_KEY), "the key was written into domain.xml");
    }
}
