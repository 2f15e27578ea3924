package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyWar;
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
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Claude Code's gateway sign-in against the proxy, endpoint by endpoint as the Claude Code gateway
 * protocol describes them: discovery, device authorization, the approval page with the container's
 * login (a Tomcat realm), the token endpoint's device-code and refresh grants, revocation; and a
 * signed-in access token that reaches the fake upstream with the real key. The page's security
 * headers and CSRF rules, denial, refresh-token reuse and revocation through the API are covered too.
 */
@ExtendWith(ArquillianExtension.class)
@Timeout(60)
class GatewaySignInIT {

    private static final FakeAnthropic UPSTREAM = FakeAnthropic.shared();
    private static final String DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code";
    private static final Pattern CSRF = Pattern.compile("name=\"csrf\" value=\"([A-Za-z0-9_-]+)\"");
    /** The operator's Claude Code settings file, served at /managed/settings. */
    private static final Path MANAGED = managedSettingsFile();

    private static Path managedSettingsFile() {
        try {
            Path directory = Files.createDirectories(Path.of(System.getProperty("creddy.it.tomcat.base", "target/tomcat"))
                    .toAbsolutePath().getParent());
            Path file = Files.createTempFile(directory, "managed-settings-", ".json");
            file.toFile().deleteOnExit();
            Files.writeString(file, "{\"permissions\": {\"deny\": [\"WebFetch\"]}, \"env\": {\"DISABLE_TELEMETRY\": \"1\"}}");
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Deployment(testable = false)
    static WebArchive proxy() {
        Path users;
        try {
            Path directory = Files.createDirectories(Path.of(System.getProperty("creddy.it.tomcat.base", "target/tomcat"))
                    .toAbsolutePath().getParent());
            users = Files.createTempFile(directory, "device-users-", ".xml");
            users.toFile().deleteOnExit();
            Files.writeString(users, "<tomcat-users>\n"
                    + "  <user username=\"alice\" password=\"alice-pass\" roles=\"creddy-user,ml-team\"/>\n"
                    + "  <user username=\"bob\" password=\"bob-pass\" roles=\"developer\"/>\n"
                    + "</tomcat-users>\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> settings = new HashMap<>(ProxyWar.standardSettings());
        settings.put("device-sign-in", "on");
        settings.put("device-managed-settings", MANAGED.toString());
        settings.put("oidc-policy", "{\"group:ml-team\":{\"rpm\":40}}");
        return ProxyWar.withSettings("gateway.war", settings,
                "<Realm className=\"org.apache.catalina.realm.MemoryRealm\" pathname=\"" + users + "\"/>");
    }

    @ArquillianResource
    URL base;

    private ProxyHttp http;
    private HttpClient browser;

    @BeforeEach
    void connect() {
        UPSTREAM.reset();
        http = new ProxyHttp(base);
        browser = HttpClient.newBuilder().cookieHandler(new CookieManager()).connectTimeout(Duration.ofSeconds(5)).build();
    }

    private static JsonObject json(String body) {
        return Json.createReader(new StringReader(body)).readObject();
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static String form(Map<String, String> fields) {
        StringBuilder form = new StringBuilder();
        fields.forEach((name, value) -> form.append(form.isEmpty() ? "" : "&").append(name).append('=')
                .append(URLEncoder.encode(value, StandardCharsets.UTF_8)));
        return form.toString();
    }

    private HttpResponse<String> post(String path, Map<String, String> fields) throws Exception {
        return http.send(http.request(path).header("Content-Type", "application/x-www-form-urlencoded")
                .header("User-Agent", "claude-code/2.1.332").POST(HttpRequest.BodyPublishers.ofString(form(fields))).build());
    }

    private HttpResponse<String> page(String pathAndQuery, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(http.base() + pathAndQuery)).timeout(Duration.ofSeconds(10));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return browser.send(request.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> decide(String authorization, String origin, Map<String, String> fields) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(http.base() + "/device")).timeout(Duration.ofSeconds(10))
                .header("Authorization", authorization).header("Content-Type", "application/x-www-form-urlencoded");
        if (origin != null) {
            request.header("Origin", origin);
        }
        return browser.send(request.POST(HttpRequest.BodyPublishers.ofString(form(fields))).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private JsonObject startDeviceFlow() throws Exception {
        HttpResponse<String> started = post("/oauth/device_authorization", Map.of("surface", "claude_code"));
        assertEquals(200, started.statusCode(), started.body());
        JsonObject device = json(started.body());
        SuiteRecorder.token(device.getString("device_code"));
        return device;
    }

    private String csrfOf(HttpResponse<String> page) {
        Matcher matcher = CSRF.matcher(page.body());
        assertTrue(matcher.find(), page.body());
        return matcher.group(1);
    }

    /** The person approves in the browser: signs in, sees the code filled in, presses Approve. */
    private void approve(JsonObject device, String action) throws Exception {
        String alice = basic("alice", "alice-pass");
        HttpResponse<String> shown = page("/device?user_code=" + device.getString("user_code"), alice);
        assertEquals(200, shown.statusCode(), shown.body());
        assertTrue(shown.body().contains("value=\"" + device.getString("user_code") + "\""), "pre-filled, not submitted");
        HttpResponse<String> decided = decide(alice, originOf(http.base()), Map.of("csrf", csrfOf(shown), "user_code",
                device.getString("user_code").toLowerCase(), "action", action));
        assertEquals(200, decided.statusCode(), decided.body());
    }

    private JsonObject signIn() throws Exception {
        JsonObject device = startDeviceFlow();
        approve(device, "approve");
        HttpResponse<String> tokens = post("/oauth/token", Map.of("grant_type", DEVICE_CODE, "device_code",
                device.getString("device_code")));
        assertEquals(200, tokens.statusCode(), tokens.body());
        JsonObject issued = json(tokens.body());
        SuiteRecorder.token(issued.getString("access_token"));
        SuiteRecorder.token(issued.getString("refresh_token"));
        return issued;
    }

    private static String originOf(String base) {
        URI uri = URI.create(base);
        return uri.getScheme() + "://" + uri.getHost() + ":" + uri.getPort();
    }

    @Test
    void discoveryNamesTheEndpointsOnTheSameOriginAndTheProtocolVersion() throws Exception {
        HttpResponse<String> response = http.send(http.request("/.well-known/oauth-authorization-server").GET().build());
        assertEquals(200, response.statusCode(), response.body());
        JsonObject metadata = json(response.body());
        assertEquals(http.base(), metadata.getString("issuer"));
        assertEquals(http.base() + "/oauth/device_authorization", metadata.getString("device_authorization_endpoint"));
        assertEquals(http.base() + "/oauth/token", metadata.getString("token_endpoint"));
        assertEquals(http.base() + "/oauth/revoke", metadata.getString("revocation_endpoint"));
        assertEquals(List.of(DEVICE_CODE, "refresh_token"), metadata.getJsonArray("grant_types_supported")
                .getValuesAs(jakarta.json.JsonString::getString));
        assertEquals(1, metadata.getInt("gateway_protocol_version"));
        assertFalse(metadata.containsKey("authorization_endpoint"));
    }

    @Test
    void aDeveloperSignsInWithTheContainerLoginAndTheTokenReachesAnthropicWithTheRealKey() throws Exception {
        JsonObject device = startDeviceFlow();
        assertTrue(device.getString("user_code").matches("[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}"));
        assertEquals(http.base() + "/device", device.getString("verification_uri"));
        assertEquals(http.base() + "/device?user_code=" + device.getString("user_code"),
                device.getString("verification_uri_complete"));
        assertEquals(600, device.getInt("expires_in"));
        assertEquals(5, device.getInt("interval"));
        HttpResponse<String> pending = post("/oauth/token", Map.of("grant_type", DEVICE_CODE, "device_code",
                device.getString("device_code")));
        assertEquals(400, pending.statusCode());
        assertEquals("authorization_pending", json(pending.body()).getString("error"));

        approve(device, "approve");
        HttpResponse<String> tokens = post("/oauth/token", Map.of("grant_type", DEVICE_CODE, "device_code",
                device.getString("device_code")));
        assertEquals(200, tokens.statusCode(), tokens.body());
        assertEquals("no-store", tokens.headers().firstValue("cache-control").orElse(""));
        JsonObject issued = json(tokens.body());
        SuiteRecorder.token(issued.getString("access_token"));
        SuiteRecorder.token(issued.getString("refresh_token"));
        assertEquals("Bearer", issued.getString("token_type"));
        assertEquals(3600, issued.getInt("expires_in"));
        assertTrue(issued.getString("access_token").matches("crd_[A-Za-z0-9_-]{43}"));

        HttpResponse<String> self = http.send(http.request("/v1/tokens/self")
                .header("Authorization", "Bearer " + issued.getString("access_token")).GET().build());
        JsonObject described = json(self.body());
        assertEquals("alice", described.getString("agent_name"));
        assertEquals(40, described.getInt("rpm"), "the group: rule of the role alice holds");
        assertEquals(List.of("ml-team"), described.getJsonObject("identity").getJsonArray("groups")
                .getValuesAs(jakarta.json.JsonString::getString));

        HttpResponse<String> reply = http.send(http.request("/v1/messages")
                .header("Authorization", "Bearer " + issued.getString("access_token"))
                .header("anthropic-version", "2023-06-01").header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":16,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")).build());
        assertEquals(200, reply.statusCode(), reply.body());
        assertEquals(ProxyWar.REAL_KEY, UPSTREAM.takeRequest().header("x-api-key"));

        HttpResponse<String> again = post("/oauth/token", Map.of("grant_type", DEVICE_CODE, "device_code",
                device.getString("device_code")));
        assertEquals("invalid_grant", json(again.body()).getString("error"), "a device code is single-use");
    }

    @Test
    void theApprovalPageNeedsTheLoginTheRoleAndItsOwnCsrfToken() throws Exception {
        HttpResponse<String> anonymous = page("/device", null);
        assertEquals(401, anonymous.statusCode());
        assertTrue(anonymous.headers().firstValue("www-authenticate").orElse("").startsWith("Basic"), anonymous.headers().toString());

        HttpResponse<String> bob = page("/device", basic("bob", "bob-pass"));
        assertEquals(403, bob.statusCode(), "bob lacks creddy-user");

        JsonObject device = startDeviceFlow();
        String alice = basic("alice", "alice-pass");
        HttpResponse<String> shown = page("/device?user_code=" + device.getString("user_code"), alice);
        assertEquals(200, shown.statusCode());
        Map<String, List<String>> headers = shown.headers().map();
        assertTrue(headers.get("content-security-policy").get(0).startsWith("default-src 'self'"));
        assertTrue(headers.get("content-security-policy").get(0).contains("frame-ancestors 'none'"));
        assertEquals("nosniff", headers.get("x-content-type-options").get(0));
        assertEquals("no-referrer", headers.get("referrer-policy").get(0));
        assertEquals("no-store", headers.get("cache-control").get(0));
        assertFalse(shown.body().contains("<script"), "no script at all");
        String csrf = csrfOf(shown);

        String code = device.getString("user_code");
        assertEquals(403, decide(alice, null, Map.of("user_code", code, "action", "approve")).statusCode(), "no token");
        assertEquals(403, decide(alice, null, Map.of("csrf", csrf + "x", "user_code", code, "action", "approve")).statusCode());
        assertEquals(403, decide(alice, "https://evil.example", Map.of("csrf", csrf, "user_code", code, "action", "approve"))
                .statusCode(), "another origin");
        HttpClient otherBrowser = HttpClient.newHttpClient();
        HttpResponse<String> stolen = otherBrowser.send(HttpRequest.newBuilder(URI.create(http.base() + "/device"))
                .header("Authorization", alice).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form(Map.of("csrf", csrf, "user_code", code, "action", "approve"))))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(403, stolen.statusCode(), "the token belongs to the session it was shown in");
        HttpResponse<String> pending = post("/oauth/token", Map.of("grant_type", DEVICE_CODE, "device_code",
                device.getString("device_code")));
        assertEquals("authorization_pending", json(pending.body()).getString("error"), "nothing was approved");

        HttpResponse<String> wrongCode = decide(alice, null, Map.of("csrf", csrf, "user_code", "BBBB-BBBB", "action", "approve"));
        assertEquals(400, wrongCode.statusCode());
    }

    @Test
    void aDeniedSignInStopsTheClient() throws Exception {
        JsonObject device = startDeviceFlow();
        approve(device, "deny");
        HttpResponse<String> denied = post("/oauth/token", Map.of("grant_type", DEVICE_CODE, "device_code",
                device.getString("device_code")));
        assertEquals(400, denied.statusCode());
        assertEquals("access_denied", json(denied.body()).getString("error"));
    }

    @Test
    void refreshRotatesAReusedRefreshTokenEndsTheSessionAndSoDoesRevocation() throws Exception {
        JsonObject first = signIn();
        HttpResponse<String> refreshed = post("/oauth/token", Map.of("grant_type", "refresh_token", "refresh_token",
                first.getString("refresh_token")));
        assertEquals(200, refreshed.statusCode(), refreshed.body());
        JsonObject second = json(refreshed.body());
        SuiteRecorder.token(second.getString("access_token"));
        SuiteRecorder.token(second.getString("refresh_token"));
        assertFalse(second.getString("refresh_token").equals(first.getString("refresh_token")));

        HttpResponse<String> reused = post("/oauth/token", Map.of("grant_type", "refresh_token", "refresh_token",
                first.getString("refresh_token")));
        assertEquals(401, reused.statusCode(), reused.body());
        assertEquals("invalid_grant", json(reused.body()).getString("error"));
        HttpResponse<String> afterReuse = http.send(http.request("/v1/models")
                .header("Authorization", "Bearer " + second.getString("access_token")).GET().build());
        assertEquals(401, afterReuse.statusCode(), "the chain's access token was revoked");
        assertEquals("false", afterReuse.headers().firstValue("x-should-retry").orElse(""), "Claude Code stops at once");

        // An operator revokes a person's token through the API: the session ends at its next refresh.
        JsonObject other = signIn();
        String id = json(http.send(http.request("/v1/tokens/self").header("Authorization", "Bearer "
                + other.getString("access_token")).GET().build()).body()).getString("id");
        HttpResponse<String> revoked = http.send(http.request("/v1/tokens/" + id)
                .header("Authorization", "Bearer " + ProxyWar.ISSUER_KEY).DELETE().build());
        assertTrue(revoked.statusCode() / 100 == 2, revoked.body());
        HttpResponse<String> ended = post("/oauth/token", Map.of("grant_type", "refresh_token", "refresh_token",
                other.getString("refresh_token")));
        assertEquals(401, ended.statusCode(), ended.body());
        assertEquals("invalid_grant", json(ended.body()).getString("error"));

        // Sign-out (RFC 7009) ends a third session.
        JsonObject third = signIn();
        assertEquals(200, post("/oauth/revoke", Map.of("token", third.getString("access_token"))).statusCode());
        assertEquals(200, post("/oauth/revoke", Map.of("token", third.getString("refresh_token"), "token_type_hint",
                "refresh_token")).statusCode());
        assertEquals(401, post("/oauth/token", Map.of("grant_type", "refresh_token", "refresh_token",
                third.getString("refresh_token"))).statusCode());
    }

    @Test
    void revokingAllTokensOfASubjectEndsEveryOneOfTheirSignInsAtTheNextRefresh() throws Exception {
        JsonObject first = signIn();
        JsonObject second = signIn();
        HttpResponse<String> refreshed = post("/oauth/token", Map.of("grant_type", "refresh_token", "refresh_token",
                second.getString("refresh_token")));
        assertEquals(200, refreshed.statusCode(), refreshed.body());
        JsonObject rotated = json(refreshed.body());
        SuiteRecorder.token(rotated.getString("access_token"));
        SuiteRecorder.token(rotated.getString("refresh_token"));
        HttpResponse<String> other = http.send(http.request("/v1/tokens").header("Authorization", "Bearer " + ProxyWar.ISSUER_KEY)
                .POST(HttpRequest.BodyPublishers.ofString("{\"agent_name\":\"alice\",\"ttl\":\"10m\"}")).build());
        assertEquals(201, other.statusCode(), other.body());
        String byName = json(other.body()).getString("token");
        SuiteRecorder.token(byName);

        HttpResponse<String> unauthorized = http.send(http.request("/v1/tokens?subject=alice").DELETE().build());
        assertEquals(401, unauthorized.statusCode(), unauthorized.body());
        HttpResponse<String> noSubject = http.send(http.request("/v1/tokens")
                .header("Authorization", "Bearer " + ProxyWar.ISSUER_KEY).DELETE().build());
        assertEquals(405, noSubject.statusCode(), "the collection itself cannot be deleted: " + noSubject.body());
        HttpResponse<String> emptySubject = http.send(http.request("/v1/tokens?subject=")
                .header("Authorization", "Bearer " + ProxyWar.ISSUER_KEY).DELETE().build());
        assertEquals(400, emptySubject.statusCode(), emptySubject.body());
        assertEquals("invalid_request_error", json(emptySubject.body()).getJsonObject("error").getString("type"));

        HttpResponse<String> revoked = http.send(http.request("/v1/tokens?subject=alice")
                .header("Authorization", "Bearer " + ProxyWar.ISSUER_KEY).DELETE().build());
        assertEquals(200, revoked.statusCode(), revoked.body());
        JsonObject answer = json(revoked.body());
        assertEquals("alice", answer.getString("subject"));
        assertTrue(answer.getJsonArray("revoked").size() >= 2, answer.toString());
        assertTrue(answer.getInt("sign_ins_ended") >= 2, answer.toString());
        for (String access : List.of(first.getString("access_token"), rotated.getString("access_token"))) {
            assertEquals(401, http.send(http.request("/v1/models").header("Authorization", "Bearer " + access).GET().build())
                    .statusCode(), "revoked at once");
        }
        for (String refresh : List.of(first.getString("refresh_token"), rotated.getString("refresh_token"))) {
            HttpResponse<String> refused = post("/oauth/token", Map.of("grant_type", "refresh_token", "refresh_token", refresh));
            assertEquals(401, refused.statusCode(), refused.body());
            assertEquals("invalid_grant", json(refused.body()).getString("error"));
        }
        assertEquals(200, http.send(http.request("/v1/models").header("Authorization", "Bearer " + byName).GET().build())
                .statusCode(), "a token merely named alice has no subject");
    }

    @Test
    void signedInClaudeCodeGetsTheOperatorsManagedSettingsWithAnETag() throws Exception {
        HttpResponse<String> anonymous = http.send(http.request("/managed/settings").GET().build());
        assertEquals(401, anonymous.statusCode(), anonymous.body());
        JsonObject signedIn = signIn();
        HttpResponse<String> served = http.send(http.request("/managed/settings")
                .header("Authorization", "Bearer " + signedIn.getString("access_token")).GET().build());
        assertEquals(200, served.statusCode(), served.body());
        JsonObject answer = json(served.body());
        assertEquals(List.of("WebFetch"), answer.getJsonObject("settings").getJsonObject("permissions").getJsonArray("deny")
                .getValuesAs(jakarta.json.JsonString::getString));
        assertEquals("1", answer.getJsonObject("settings").getJsonObject("env").getString("DISABLE_TELEMETRY"));
        String checksum = answer.getString("checksum");
        assertTrue(checksum.matches("[0-9a-f]{64}"), checksum);
        assertEquals(checksum, answer.getString("uuid"));
        assertEquals("\"" + checksum + "\"", served.headers().firstValue("etag").orElse(""));
        HttpResponse<String> unchanged = http.send(http.request("/managed/settings")
                .header("Authorization", "Bearer " + signedIn.getString("access_token"))
                .header("If-None-Match", "\"" + checksum + "\"").GET().build());
        assertEquals(304, unchanged.statusCode());

        Files.writeString(MANAGED, "{\"permissions\": {\"deny\": [\"WebFetch\", \"Bash(curl:*)\"]}}");
        Files.setLastModifiedTime(MANAGED, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5_000));
        HttpResponse<String> changed = http.send(http.request("/managed/settings")
                .header("Authorization", "Bearer " + signedIn.getString("access_token"))
                .header("If-None-Match", "\"" + checksum + "\"").GET().build());
        assertEquals(200, changed.statusCode(), "the file changed: " + changed.body());
        assertEquals(2, json(changed.body()).getJsonObject("settings").getJsonObject("permissions").getJsonArray("deny").size());
    }

    @Test
    void theOAuthEndpointsRefuseInOAuthTerms() throws Exception {
        HttpResponse<String> grant = post("/oauth/token", Map.of("grant_type", "password"));
        assertEquals(400, grant.statusCode());
        assertEquals("unsupported_grant_type", json(grant.body()).getString("error"));
        HttpResponse<String> unknown = post("/oauth/token", Map.of("grant_type", "refresh_token", "refresh_token", "crr_nope"));
        assertEquals(401, unknown.statusCode());
        assertEquals("invalid_grant", json(unknown.body()).getString("error"));
    }
}
