package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyWar;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Container-managed security: with a realm on the server, a user in role {@code creddy-issuer}
 * manages tokens and a user in role {@code creddy-metrics} reads the metrics, with Basic credentials;
 * no issuer key or metrics key is configured at all.
 */
@ExtendWith(ArquillianExtension.class)
@Timeout(60)
class RoleIssuerIT {

    @Deployment(testable = false)
    static WebArchive proxy() {
        Path users;
        try {
            // Beside the container's base directory, which is under target/; never in the working tree.
            Path directory = Files.createDirectories(Path.of(System.getProperty("creddy.it.tomcat.base", "target/tomcat"))
                    .toAbsolutePath().getParent());
            users = Files.createTempFile(directory, "users-", ".xml");
            users.toFile().deleteOnExit();
            Files.writeString(users, "<tomcat-users>\n"
                    + "  <user username=\"ops\" password=\"ops-pass\" roles=\"creddy-issuer\"/>\n"
                    + "  <user username=\"dev\" password=\"dev-pass\" roles=\"developer\"/>\n"
                    + "  <user username=\"scraper\" password=\"scraper-pass\" roles=\"creddy-metrics\"/>\n"
                    + "</tomcat-users>\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return ProxyWar.withSettings("roles.war", Map.of(
                "anthropic-api-key", ProxyWar.REAL_KEY,
                "upstream-url", FakeAnthropic.shared().baseUrl()),
                "<Realm className=\"org.apache.catalina.realm.MemoryRealm\" pathname=\"" + users + "\"/>");
    }

    @ArquillianResource
    URL base;

    @ParameterizedTest(name = "{0}:{1} -> {2}")
    @CsvSource({"ops, ops-pass, 201", "dev, dev-pass, 403", "ops, wrong, 403", "nobody, x, 403"})
    void onlyIssuersByRoleMayIssue(String user, String password, int status) throws Exception {
        ProxyHttp http = new ProxyHttp(base);
        String basic = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> issued = http.send(http.request("/v1/tokens").header("Authorization", "Basic " + basic)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"ttl\":\"5m\",\"agent_name\":\"by-role\"}")).build());
        assertEquals(status, issued.statusCode(), issued.body());
        HttpResponse<String> listed = http.send(http.request("/v1/tokens").header("Authorization", "Basic " + basic)
                .GET().build());
        // Without an issuer key, whoever is not an issuer by role is refused as unauthorized for management.
        assertEquals(status == 201 ? 200 : 403, listed.statusCode(), listed.body());
    }

    /**
     * A browser sends the user's Basic credentials (or session cookie) with a cross-site form, whose
     * content type can only be a form's or {@code text/plain}: under container credentials the body
     * must declare JSON, so no page the issuer visits can mint a token in their name.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x"})
    void containerCredentialsNeedAJsonContentType(String type) throws Exception {
        ProxyHttp http = new ProxyHttp(base);
        String basic = Base64.getEncoder().encodeToString("ops:ops-pass".getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> refused = http.send(http.request("/v1/tokens").header("Authorization", "Basic " + basic)
                .header("Content-Type", type)
                .POST(HttpRequest.BodyPublishers.ofString("{\"ttl\":\"5m\",\"agent_name\":\"cross-site\"}")).build());
        assertEquals(400, refused.statusCode(), refused.body());
        assertTrue(refused.body().contains("Content-Type: application/json"), refused.body());
        assertFalse(refused.body().contains("crd_"), refused.body());
    }

    @ParameterizedTest(name = "{0}:{1} -> {2}")
    @CsvSource({"scraper, scraper-pass, 200", "ops, ops-pass, 403", "scraper, wrong, 403", "nobody, x, 403"})
    void onlyTheMetricsRoleMayReadMetricsWhenNoKeyIsSet(String user, String password, int status) throws Exception {
        ProxyHttp http = new ProxyHttp(base);
        String basic = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> metrics = http.send(http.request("/metrics").header("Authorization", "Basic " + basic).GET().build());
        assertEquals(status, metrics.statusCode(), metrics.body());
        if (status == 200) {
            assertTrue(metrics.body().contains("# TYPE creddy_requests_total counter"), metrics.body());
        } else {
            assertTrue(metrics.body().contains("metrics-key"), "the refusal says what to configure: " + metrics.body());
        }
    }
}
