package dev.creddy.anthropic.it.servers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.it.support.ProxyHttp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;

/**
 * A Tomcat distribution from Maven Central, set up the way {@code tomcat-conf/README.md} tells an
 * operator: its own {@code CATALINA_BASE} with the distribution's {@code conf/}, the
 * {@code catalina.properties} fragment (environment variables in context files), our context file
 * unchanged (the secrets as {@code <Environment>} entries from the environment), the access-log
 * fragment inside {@code <Host>}, the logging fragment (the audit trail as JSON lines in a file of its
 * own), and the Tomcat WAR. The EE WAR is deployed beside it and must be
 * refused. Only the listening address and ports differ from a stock install: loopback, free ports,
 * no shutdown port (the test stops Tomcat by PID).
 */
abstract class TomcatServer extends RealServerSmoke {

    private static final Pattern DEPLOYED_IN = Pattern.compile("Deployment of deployment descriptor \\[[^\\]]*/%s\\.xml\\] has finished in \\[([\\d,.]+)\\] ms");
    private static final String WRONG_CONTEXT = "wrong-flavour";

    private Path base;

    TomcatServer() {
        super("java:comp/env/creddy/");
    }

    /** The system property naming the unpacked distribution, e.g. {@code creddy.tomcat10.home}. */
    abstract String homeProperty();

    /** The context file and WAR name: {@code ai#creddy} serves {@code /ai/creddy}. */
    abstract String contextName();

    @BeforeAll
    @Timeout(240)
    void startTomcat() throws Exception {
        Path home = required(homeProperty());
        Path config = required("creddy.config.dir");
        base = RunDirectory.fresh(home.getFileName().toString());
        for (String dir : List.of("conf/Catalina/localhost", "webapps", "logs", "temp", "work")) {
            Files.createDirectories(base.resolve(dir));
        }
        try (Stream<Path> files = Files.list(home.resolve("conf"))) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                Files.copy(file, base.resolve("conf").resolve(file.getFileName()));
            }
        }
        Files.writeString(base.resolve("conf/catalina.properties"),
                "\n" + Files.readString(config.resolve("tomcat-conf/catalina.properties.fragment")), StandardOpenOption.APPEND);
        // The audit trail in a file of its own, JSON lines (tomcat-conf/logging.properties.fragment, as docs/deployment.md says).
        Files.writeString(base.resolve("conf/logging.properties"),
                "\n" + Files.readString(config.resolve("tomcat-conf/logging.properties.fragment")), StandardOpenOption.APPEND);
        int port = LoopbackNetwork.freePort();
        Path serverXml = base.resolve("conf/server.xml");
        String xml = Files.readString(serverXml);
        xml = replaceOnce(xml, "<Server port=\"8005\"", "<Server port=\"-1\"");
        xml = replaceOnce(xml, "<Connector port=\"8080\" protocol=\"HTTP/1.1\"",
                "<Connector address=\"127.0.0.1\" port=\"" + port + "\" protocol=\"HTTP/1.1\"");
        xml = replaceOnce(xml, "</Host>", Files.readString(config.resolve("tomcat-conf/server.xml.fragment")) + "\n      </Host>");
        Files.writeString(serverXml, xml);
        Files.copy(config.resolve("tomcat-conf/creddy-anthropic.xml"), base.resolve("conf/Catalina/localhost/" + contextName() + ".xml"));
        Files.copy(required("creddy.war.tomcat"), base.resolve("webapps/" + contextName() + ".war"));
        Files.copy(required("creddy.war.ee"), base.resolve("webapps/" + WRONG_CONTEXT + ".war"));

        Map<String, String> environment = new HashMap<>(provisioningEnvironment());
        environment.put("CATALINA_HOME", home.toString());
        environment.put("CATALINA_BASE", base.toString());
        String proxyUrl = "http://127.0.0.1:" + port + "/" + contextName().replace('#', '/');
        long launched = System.nanoTime();
        ServerProcess server = ServerProcess.start(home.getFileName().toString(),
                List.of("sh", home.resolve("bin/catalina.sh").toString(), "run"), environment, base, base.resolve("logs/console.out"));
        started(server, proxyUrl);
        Duration ready = awaitHealthy(server, proxyUrl, launched);
        reportTiming(runRoot(), String.format("%s: launch to ready %.1f s; deployment of %s %s", home.getFileName(),
                ready.toMillis() / 1000.0, contextName(), deployTime()));
    }

    private String deployTime() {
        Matcher matcher = Pattern.compile(String.format(DEPLOYED_IN.pattern(), Pattern.quote(contextName()))).matcher(server().console());
        return matcher.find() ? matcher.group(1).replace(",", "") + " ms (Tomcat's count)" : "time not logged";
    }

    @Override
    String serverLogs() throws IOException {
        return readLogs(base.resolve("logs"));
    }

    @Override
    void assertWrongWarRefused() throws Exception {
        String root = proxyUrl().substring(0, proxyUrl().indexOf('/', "http://".length()));
        ProxyHttp wrong = new ProxyHttp(root + "/" + WRONG_CONTEXT);
        assertEquals(404, wrong.send(wrong.request("/health").GET().build()).statusCode(), "the EE WAR must not start on Tomcat");
        String console = server().console();
        assertTrue(console.contains("creddy-anthropic.war is for Jakarta EE 10 servers"), tail(console));
        assertTrue(console.contains("deploy creddy-anthropic-tomcat.war instead."), tail(console));
    }

    /**
     * The access-log fragment logs each forwarded call's agent and token id (flushed when Tomcat stops);
     * the logging fragment puts the audit trail in {@code logs/creddy-audit.<date>.jsonl}, one JSON
     * object per line, and nowhere else.
     */
    @Override
    void afterStop(String logs) throws IOException {
        assertTrue(logs.contains("agent=servers-smoke token_id=tok_"), "no access-log line with the agent:\n" + tail(logs));
        List<Path> audit;
        try (Stream<Path> files = Files.list(base.resolve("logs"))) {
            audit = files.filter(f -> f.getFileName().toString().matches("creddy-audit\\..*\\.jsonl")).toList();
        }
        assertEquals(1, audit.size(), "one audit file: " + audit);
        List<String> events = new java.util.ArrayList<>();
        for (String line : Files.readAllLines(audit.get(0))) {
            jakarta.json.JsonObject entry = jakarta.json.Json.createReader(new java.io.StringReader(line)).readObject();
            events.add(entry.getString("event"));
        }
        assertTrue(events.contains("token_issued") && events.contains("forward") && events.contains("rejected"), events.toString());
        assertFalse(Files.readString(audit.get(0)).contains("crd_"), "never a token in the audit trail");
        assertFalse(logs.contains("\"event\":\"forward\""), "the audit trail stays out of Tomcat's own logs");
    }

    private static String replaceOnce(String text, String target, String replacement) {
        int at = text.indexOf(target);
        if (at < 0 || text.indexOf(target, at + 1) >= 0) {
            throw new IllegalStateException("expected exactly one \"" + target + "\" in the distribution's server.xml");
        }
        return text.substring(0, at) + replacement + text.substring(at + target.length());
    }
}
