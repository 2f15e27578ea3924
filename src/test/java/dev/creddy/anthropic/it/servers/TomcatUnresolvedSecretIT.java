package dev.creddy.anthropic.it.servers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyWar;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 15, S1, on real Tomcat 10.1 set up as tomcat-conf/README.md says, with one operator mistake
 * each: the issuer key's environment variable missing, or the {@code catalina.properties} line that
 * resolves {@code ${...}} skipped. Tomcat then hands the application the literal {@code ${CREDDY_ISSUER_KEY}},
 * which used to become a public issuer key that minted working tokens. Now the deployment fails with one
 * line naming the setting and its JNDI name, and nothing is served. With tomcat-conf's
 * {@code server.xml.fragment} and {@code catalina.properties.fragment}, Tomcat's own refusals of malformed
 * requests show no version and quote nothing (S11).
 */
@Timeout(300)
class TomcatUnresolvedSecretIT {

    private static final Duration DEPLOY_DEADLINE = Duration.ofMinutes(3);

    private ServerProcess server;
    private Path base;

    @AfterEach
    void stopTomcat() throws InterruptedException {
        if (server != null) {
            server.stop();
        }
    }

    @Test
    void aMissingIssuerKeyVariableFailsTheDeploymentNamingIt() throws Exception {
        String proxyUrl = startTomcat("tomcat-missing-variable", true, Map.of("ANTHROPIC_API_KEY", ProxyWar.REAL_KEY));
        String refusal = awaitRefusal();
        assertTrue(refusal.contains("issuer-key (from JNDI java:comp/env/creddy/issuer-key): the configured value is an "
                + "unresolved placeholder"), refusal);
        assertFalse(refusal.contains("anthropic-api-key"), "the key that was resolved is not named: " + refusal);
        assertConnectorRefusalsQuoteNothing(proxyUrl);
        assertNothingServed(proxyUrl);
    }

    @Test
    void aSkippedCatalinaPropertiesLineFailsTheDeploymentNamingBothSecrets() throws Exception {
        String proxyUrl = startTomcat("tomcat-no-property-source", false,
                Map.of("ANTHROPIC_API_KEY", ProxyWar.REAL_KEY, "CREDDY_ISSUER_KEY", ProxyWar.ISSUER_KEY));
        String refusal = awaitRefusal();
        assertTrue(refusal.contains("anthropic-api-key (from JNDI java:comp/env/creddy/anthropic-api-key): the configured "
                + "value is an unresolved placeholder"), refusal);
        assertTrue(refusal.contains("issuer-key (from JNDI java:comp/env/creddy/issuer-key): the configured value is an "
                + "unresolved placeholder"), refusal);
        assertNothingServed(proxyUrl);
    }

    /**
     * S11 with tomcat-conf's lines on Tomcat itself: requests the connector refuses (here with the issuer
     * key in them) get no server version and no report quoting them, and the log keeps the key out.
     */
    private void assertConnectorRefusalsQuoteNothing(String proxyUrl) throws Exception {
        java.net.URI uri = java.net.URI.create(proxyUrl);
        List<String> requests = List.of(
                "GET /creddy-anthropic/health HTTP/1.1\r\nHost: x\r\nAuthorization Bearer " + ProxyWar.ISSUER_KEY + "\r\n\r\n",
                "GET /creddy-anthropic/v1/a%2F" + ProxyWar.ISSUER_KEY + " HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET /creddy-anthropic/v1/" + ProxyWar.ISSUER_KEY + "{} HTTP/1.1\r\nHost: x\r\n\r\n");
        for (String request : requests) {
            dev.creddy.anthropic.it.support.RawHttp.Answer answer = dev.creddy.anthropic.it.support.RawHttp.exchange(
                    uri.getHost(), uri.getPort(), request.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), Duration.ofSeconds(10));
            assertEquals(400, answer.status(), answer.text());
            assertFalse(answer.text().contains("Tomcat"), "no server version: " + answer.text());
            assertFalse(answer.text().contains(ProxyWar.ISSUER_KEY), "no echo: " + answer.text());
            assertFalse(answer.text().contains("Exception") || answer.text().contains("Message"), "no report: " + answer.text());
        }
    }

    /** The literal placeholder must not work as an issuer key, nor anything else answer. */
    private void assertNothingServed(String proxyUrl) throws Exception {
        ProxyHttp http = new ProxyHttp(proxyUrl);
        assertEquals(404, http.send(http.request("/health").GET().build()).statusCode(), "the application must not be deployed");
        int minted = http.send(http.request("/v1/tokens").header("Authorization", "Bearer ${CREDDY_ISSUER_KEY}")
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"agent_name\":\"x\"}"))
                .build()).statusCode();
        assertEquals(404, minted, "the placeholder must not mint tokens");
        String logs = RealServerSmoke.readLogs(base.resolve("logs"));
        for (String secret : List.of(ProxyWar.REAL_KEY, ProxyWar.ISSUER_KEY)) {
            assertFalse(logs.contains(secret), "a secret was logged");
        }
    }

    /** The application's one-line refusal, from Tomcat's logs, once the deployment has failed. */
    private String awaitRefusal() throws Exception {
        long deadline = System.nanoTime() + DEPLOY_DEADLINE.toNanos();
        while (System.nanoTime() < deadline) {
            String logs = RealServerSmoke.readLogs(base.resolve("logs"));
            int at = logs.indexOf("invalid creddy settings: ");
            // Tomcat reports the failed deployment of a context file as "Error deploying deployment descriptor".
            if (at >= 0 && (logs.contains("Error deploying deployment descriptor") || logs.contains("startup failed"))) {
                int end = logs.indexOf('\n', at);
                return logs.substring(at, end < 0 ? logs.length() : end);
            }
            assertTrue(server.isAlive(), "Tomcat ended:\n" + RealServerSmoke.tail(logs));
            Thread.sleep(500);
        }
        throw new AssertionError("no refusal within " + DEPLOY_DEADLINE + ":\n"
                + RealServerSmoke.tail(RealServerSmoke.readLogs(base.resolve("logs"))));
    }

    /** The README's steps, but for {@code withPropertySource}, with exactly {@code environment} as settings. */
    private String startTomcat(String name, boolean withPropertySource, Map<String, String> environment) throws IOException {
        Path home = RealServerSmoke.required("creddy.tomcat10.home");
        Path config = RealServerSmoke.required("creddy.config.dir");
        base = RunDirectory.fresh(name);
        for (String dir : List.of("conf/Catalina/localhost", "webapps", "logs", "temp", "work")) {
            Files.createDirectories(base.resolve(dir));
        }
        try (Stream<Path> files = Files.list(home.resolve("conf"))) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                Files.copy(file, base.resolve("conf").resolve(file.getFileName()));
            }
        }
        if (withPropertySource) {
            Files.writeString(base.resolve("conf/catalina.properties"),
                    "\n" + Files.readString(config.resolve("tomcat-conf/catalina.properties.fragment")), StandardOpenOption.APPEND);
        }
        int port = LoopbackNetwork.freePort();
        Path serverXml = base.resolve("conf/server.xml");
        String xml = Files.readString(serverXml)
                .replace("<Server port=\"8005\"", "<Server port=\"-1\"")
                .replace("<Connector port=\"8080\" protocol=\"HTTP/1.1\"",
                        "<Connector address=\"127.0.0.1\" port=\"" + port + "\" protocol=\"HTTP/1.1\"")
                .replace("</Host>", Files.readString(config.resolve("tomcat-conf/server.xml.fragment")) + "\n      </Host>");
        Files.writeString(serverXml, xml);
        Files.copy(config.resolve("tomcat-conf/creddy-anthropic.xml"), base.resolve("conf/Catalina/localhost/creddy-anthropic.xml"));
        Files.copy(RealServerSmoke.required("creddy.war.tomcat"), base.resolve("webapps/creddy-anthropic.war"));

        Map<String, String> env = new HashMap<>(environment);
        env.put("CATALINA_HOME", home.toString());
        env.put("CATALINA_BASE", base.toString());
        server = ServerProcess.start(name, List.of("sh", home.resolve("bin/catalina.sh").toString(), "run"), env, base,
                base.resolve("logs/console.out"));
        return "http://127.0.0.1:" + port + "/creddy-anthropic";
    }
}
