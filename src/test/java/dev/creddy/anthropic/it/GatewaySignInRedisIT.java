package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyWar;
import dev.creddy.anthropic.it.support.RedisServer;
import dev.creddy.anthropic.it.support.SuiteRecorder;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.CookieManager;
import java.net.URI;
import java.net.URL;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.OperateOnDeployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The gateway sign-in on two instances of the WAR sharing one real redis-server (token store Redis, so
 * the sign-ins live there too): the device authorization is started on A, approved on B's page, exchanged
 * on A, refreshed on B, and the used refresh token presented to A again ends the sign-in everywhere.
 */
@ExtendWith(ArquillianExtension.class)
@Timeout(90)
class GatewaySignInRedisIT {

    private static final String DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code";
    private static final Pattern CSRF = Pattern.compile("name=\"csrf\" value=\"([A-Za-z0-9_-]+)\"");
    private static RedisServer redis;

    private static synchronized RedisServer redis() {
        if (redis == null) {
            redis = RedisServer.start();
        }
        return redis;
    }

    private static WebArchive instance(String name) {
        Path users;
        try {
            Path directory = Files.createDirectories(Path.of(System.getProperty("creddy.it.tomcat.base", "target/tomcat"))
                    .toAbsolutePath().getParent());
            users = Files.createTempFile(directory, "device-users-", ".xml");
            users.toFile().deleteOnExit();
            Files.writeString(users, "<tomcat-users>\n"
                    + "  <user username=\"alice\" password=\"alice-pass\" roles=\"creddy-user\"/>\n</tomcat-users>\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> settings = new HashMap<>(ProxyWar.standardSettings());
        settings.put("device-sign-in", "on");
        settings.put("token-store", "redis");
        settings.put("redis-url", redis().url());
        return ProxyWar.withSettings(name, settings,
                "<Realm className=\"org.apache.catalina.realm.MemoryRealm\" pathname=\"" + users + "\"/>");
    }

    @Deployment(name = "a", order = 1, testable = false)
    static WebArchive instanceA() {
        return instance("signin-redis-a.war");
    }

    @Deployment(name = "b", order = 2, testable = false)
    static WebArchive instanceB() {
        return instance("signin-redis-b.war");
    }

    @AfterAll
    static void stopRedis() throws InterruptedException {
        if (redis != null) {
            redis.close();
        }
    }

    @ArquillianResource
    @OperateOnDeployment("a")
    URL urlA;

    @ArquillianResource
    @OperateOnDeployment("b")
    URL urlB;

    private static JsonObject json(String body) {
        return Json.createReader(new StringReader(body)).readObject();
    }

    private static String form(Map<String, String> fields) {
        StringBuilder form = new StringBuilder();
        fields.forEach((name, value) -> form.append(form.isEmpty() ? "" : "&").append(name).append('=')
                .append(URLEncoder.encode(value, StandardCharsets.UTF_8)));
        return form.toString();
    }

    private static HttpResponse<String> post(ProxyHttp http, String path, Map<String, String> fields) throws Exception {
        return http.send(http.request(path).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form(fields))).build());
    }

    @Test
    void aSignInStartedOnOneInstanceIsApprovedExchangedAndRefreshedOnEither() throws Exception {
        ProxyHttp a = new ProxyHttp(urlA);
        ProxyHttp b = new ProxyHttp(urlB);
        HttpResponse<String> started = post(a, "/oauth/device_authorization", Map.of());
        assertEquals(200, started.statusCode(), started.body());
        JsonObject device = json(started.body());
        SuiteRecorder.token(device.getString("device_code"));

        HttpClient browser = HttpClient.newBuilder().cookieHandler(new CookieManager()).connectTimeout(Duration.ofSeconds(5)).build();
        String alice = "Basic " + Base64.getEncoder().encodeToString("alice:alice-pass".getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> shown = browser.send(HttpRequest.newBuilder(URI.create(b.base() + "/device?user_code="
                + device.getString("user_code"))).header("Authorization", alice).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, shown.statusCode(), shown.body());
        Matcher csrf = CSRF.matcher(shown.body());
        assertTrue(csrf.find(), shown.body());
        HttpResponse<String> approved = browser.send(HttpRequest.newBuilder(URI.create(b.base() + "/device"))
                .header("Authorization", alice).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form(Map.of("csrf", csrf.group(1), "user_code",
                        device.getString("user_code"), "action", "approve")))).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, approved.statusCode(), "a code started on A is waiting on B: " + approved.body());

        HttpResponse<String> tokens = post(a, "/oauth/token", Map.of("grant_type", DEVICE_CODE, "device_code",
                device.getString("device_code")));
        assertEquals(200, tokens.statusCode(), tokens.body());
        JsonObject first = json(tokens.body());
        SuiteRecorder.token(first.getString("access_token"));
        SuiteRecorder.token(first.getString("refresh_token"));

        HttpResponse<String> refreshed = post(b, "/oauth/token", Map.of("grant_type", "refresh_token", "refresh_token",
                first.getString("refresh_token")));
        assertEquals(200, refreshed.statusCode(), "a refresh works on the other instance: " + refreshed.body());
        JsonObject second = json(refreshed.body());
        SuiteRecorder.token(second.getString("access_token"));
        SuiteRecorder.token(second.getString("refresh_token"));
        assertEquals(200, a.send(a.request("/v1/models").header("Authorization", "Bearer " + second.getString("access_token"))
                .GET().build()).statusCode());

        HttpResponse<String> reused = post(a, "/oauth/token", Map.of("grant_type", "refresh_token", "refresh_token",
                first.getString("refresh_token")));
        assertEquals(401, reused.statusCode(), reused.body());
        assertEquals("invalid_grant", json(reused.body()).getString("error"));
        HttpResponse<String> ended = post(b, "/oauth/token", Map.of("grant_type", "refresh_token", "refresh_token",
                second.getString("refresh_token")));
        assertEquals(401, ended.statusCode(), "the reuse on A ended the chain for B too: " + ended.body());
    }
}
