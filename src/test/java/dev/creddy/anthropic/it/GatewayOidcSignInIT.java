package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.FakeOidcProvider;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyWar;
import dev.creddy.anthropic.it.support.SuiteRecorder;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.StringReader;
import java.net.CookieManager;
import java.net.URI;
import java.net.URL;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The approval page's second sign-in: the organisation's OpenID Connect provider (an in-test provider on
 * loopback), authorization code flow with PKCE, driven by an HTTP client that follows the redirects as a
 * browser does. The person's subject, name and groups become the token's identity and agent name, and a
 * {@code group:} rule of {@code oidc-policy} sets the limits. A forged state, a replayed callback, a
 * replayed code and an ID token with another nonce are all refused, and nothing is approved by them.
 */
@ExtendWith(ArquillianExtension.class)
@Timeout(60)
class GatewayOidcSignInIT {

    private static final FakeAnthropic UPSTREAM = FakeAnthropic.shared();
    private static final FakeOidcProvider PROVIDER = FakeOidcProvider.start();
    private static final String CLIENT_ID = "creddy-device";
    private static final String DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code";
    private static final Pattern CSRF = Pattern.compile("name=\"csrf\" value=\"([A-Za-z0-9_-]+)\"");

    @Deployment(testable = false)
    static WebArchive proxy() {
        Map<String, String> settings = new HashMap<>(ProxyWar.standardSettings());
        settings.put("device-sign-in", "on");
        settings.put("device-oidc-issuer", PROVIDER.issuer());
        settings.put("device-oidc-client-id", CLIENT_ID);
        settings.put("device-oidc-client-secret", PROVIDER.registerClient(CLIENT_ID));
        settings.put("device-oidc-name-claim", "preferred_username");
        settings.put("oidc-policy", "{\"group:ml-team\":{\"rpm\":40}}");
        return ProxyWar.withSettings("gateway-oidc.war", settings);
    }

    @AfterAll
    static void stopProvider() {
        PROVIDER.close();
    }

    @ArquillianResource
    URL base;

    private ProxyHttp http;

    @BeforeEach
    void connect() {
        UPSTREAM.reset();
        http = new ProxyHttp(base);
        PROVIDER.signInAs(Map.of("sub", "00u1carol", "preferred_username", "carol@example.com",
                "groups", List.of("ml-team", "everyone")));
    }

    @AfterEach
    void honestNonce() {
        PROVIDER.forgeNonce(null);
    }

    private static JsonObject json(String body) {
        return Json.createReader(new StringReader(body)).readObject();
    }

    private static HttpClient browser(boolean followRedirects) {
        return HttpClient.newBuilder().cookieHandler(new CookieManager()).connectTimeout(Duration.ofSeconds(5))
                .followRedirects(followRedirects ? HttpClient.Redirect.NORMAL : HttpClient.Redirect.NEVER).build();
    }

    private static HttpResponse<String> get(HttpClient browser, String url) throws Exception {
        return browser.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String form(Map<String, String> fields) {
        StringBuilder form = new StringBuilder();
        fields.forEach((name, value) -> form.append(form.isEmpty() ? "" : "&").append(name).append('=')
                .append(URLEncoder.encode(value, StandardCharsets.UTF_8)));
        return form.toString();
    }

    private HttpResponse<String> post(String path, Map<String, String> fields) throws Exception {
        return http.send(http.request(path).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form(fields))).build());
    }

    private HttpResponse<String> decide(HttpClient browser, Map<String, String> fields) throws Exception {
        return browser.send(HttpRequest.newBuilder(URI.create(http.base() + "/device")).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form(fields))).build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonObject startDeviceFlow() throws Exception {
        HttpResponse<String> started = post("/oauth/device_authorization", Map.of());
        assertEquals(200, started.statusCode(), started.body());
        JsonObject device = json(started.body());
        SuiteRecorder.token(device.getString("device_code"));
        return device;
    }

    private static String csrfOf(HttpResponse<String> page) {
        Matcher matcher = CSRF.matcher(page.body());
        assertTrue(matcher.find(), page.body());
        return matcher.group(1);
    }

    private static String location(HttpResponse<String> response) {
        return response.headers().firstValue("location").orElseThrow(() -> new AssertionError("no redirect: "
                + response.statusCode() + " " + response.body()));
    }

    private static String queryValue(String url, String name) {
        Matcher matcher = Pattern.compile("[?&]" + name + "=([^&]*)").matcher(url);
        assertTrue(matcher.find(), url);
        return java.net.URLDecoder.decode(matcher.group(1), StandardCharsets.UTF_8);
    }

    private String pending(JsonObject device) throws Exception {
        return json(post("/oauth/token", Map.of("grant_type", DEVICE_CODE, "device_code", device.getString("device_code")))
                .body()).getString("error");
    }

    @Test
    void aDeveloperSignsInWithTheProviderAndTheTokenCarriesTheirIdentityAndGroupLimits() throws Exception {
        JsonObject device = startDeviceFlow();
        HttpClient browser = browser(true);
        HttpResponse<String> shown = get(browser, device.getString("verification_uri_complete"));
        assertEquals(200, shown.statusCode(), shown.body());
        assertTrue(shown.uri().toString().startsWith(http.base() + "/device?user_code="), "back on the page: " + shown.uri());
        assertTrue(shown.body().contains("carol@example.com"), shown.body());
        assertTrue(shown.body().contains("value=\"" + device.getString("user_code") + "\""), "pre-filled, not submitted");
        assertEquals("no-store", shown.headers().firstValue("cache-control").orElse(""));
        assertEquals("authorization_pending", pending(device), "signing in is not approving");

        HttpResponse<String> approved = decide(browser, Map.of("csrf", csrfOf(shown), "user_code", device.getString("user_code"),
                "action", "approve"));
        assertEquals(200, approved.statusCode(), approved.body());
        HttpResponse<String> tokens = post("/oauth/token", Map.of("grant_type", DEVICE_CODE, "device_code",
                device.getString("device_code")));
        assertEquals(200, tokens.statusCode(), tokens.body());
        JsonObject issued = json(tokens.body());
        SuiteRecorder.token(issued.getString("access_token"));
        SuiteRecorder.token(issued.getString("refresh_token"));

        JsonObject described = json(http.send(http.request("/v1/tokens/self")
                .header("Authorization", "Bearer " + issued.getString("access_token")).GET().build()).body());
        assertEquals("carol@example.com", described.getString("agent_name"));
        assertEquals(40, described.getInt("rpm"), "the group:ml-team rule");
        JsonObject identity = described.getJsonObject("identity");
        assertEquals(PROVIDER.issuer(), identity.getString("issuer"));
        assertEquals("00u1carol", identity.getString("subject"));
        assertEquals(List.of("ml-team", "everyone"), identity.getJsonArray("groups").getValuesAs(jakarta.json.JsonString::getString));

        HttpResponse<String> reply = http.send(http.request("/v1/messages")
                .header("Authorization", "Bearer " + issued.getString("access_token"))
                .header("anthropic-version", "2023-06-01").header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":16,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")).build());
        assertEquals(200, reply.statusCode(), reply.body());
        assertEquals(ProxyWar.REAL_KEY, UPSTREAM.takeRequest().header("x-api-key"));

        HttpResponse<String> managed = http.send(http.request("/managed/settings")
                .header("Authorization", "Bearer " + issued.getString("access_token")).GET().build());
        assertEquals(404, managed.statusCode(), "no device-managed-settings: no managed policy, as Claude Code reads it");
    }

    @Test
    void theAuthorizationRequestUsesPkceS256AndFreshStateAndNonce() throws Exception {
        HttpClient browser = browser(false);
        HttpResponse<String> first = get(browser, http.base() + "/device");
        assertEquals(303, first.statusCode());
        String url = location(first);
        assertTrue(url.startsWith(PROVIDER.issuer() + "/authorize?"), url);
        assertEquals("code", queryValue(url, "response_type"));
        assertEquals(CLIENT_ID, queryValue(url, "client_id"));
        assertEquals(http.base() + "/device/callback", queryValue(url, "redirect_uri"));
        assertEquals("S256", queryValue(url, "code_challenge_method"));
        assertTrue(queryValue(url, "code_challenge").matches("[A-Za-z0-9_-]{43}"));
        assertTrue(queryValue(url, "scope").contains("openid"));
        String again = location(get(browser, http.base() + "/device"));
        assertTrue(!queryValue(again, "state").equals(queryValue(url, "state"))
                && !queryValue(again, "nonce").equals(queryValue(url, "nonce")), "each attempt its own state and nonce");

        assertEquals(403, decide(browser, Map.of("user_code", "BBBB-BBBB", "action", "approve")).statusCode(),
                "no decision before signing in");
    }

    @Test
    void aForgedStateAReplayedCallbackAReplayedCodeAndAWrongNonceAreRefused() throws Exception {
        JsonObject device = startDeviceFlow();
        String code = device.getString("user_code");

        // A forged state: the attempt is used up, and the genuine callback after it is refused too.
        HttpClient browser = browser(false);
        String callback = location(get(browser, location(get(browser, http.base() + "/device?user_code=" + code))));
        assertTrue(callback.startsWith(http.base() + "/device/callback?"), callback);
        String forged = callback.replaceAll("state=[^&]*", "state=forged-state");
        int exchangesBefore = PROVIDER.codeExchanges();
        HttpResponse<String> refused = get(browser, forged);
        assertEquals(403, refused.statusCode(), refused.body());
        assertEquals(exchangesBefore, PROVIDER.codeExchanges(), "the code never left the proxy");
        assertEquals(403, get(browser, callback).statusCode(), "the attempt was single-use");

        // A callback in a browser that did not start the attempt (login CSRF): no attempt in its session.
        HttpClient victim = browser(false);
        String other = location(get(browser, location(get(browser, http.base() + "/device?user_code=" + code))));
        assertEquals(403, get(victim, other).statusCode());

        // A replayed callback: good once, refused the second time.
        String good = location(get(browser, location(get(browser, http.base() + "/device?user_code=" + code))));
        HttpResponse<String> signedIn = get(browser, good);
        assertEquals(303, signedIn.statusCode(), signedIn.body());
        assertEquals(http.base() + "/device?user_code=" + code, location(signedIn));
        assertEquals(403, get(browser, good).statusCode(), "the same callback again");

        // A replayed code under a fresh state: the provider refuses it, and so does the proxy.
        HttpClient thief = browser(false);
        String fresh = location(get(thief, location(get(thief, http.base() + "/device?user_code=" + code))));
        String replayedCode = fresh.replaceAll("code=[^&]*", "code=" + URLEncoder.encode(queryValue(good, "code"),
                StandardCharsets.UTF_8));
        HttpResponse<String> replayed = get(thief, replayedCode);
        assertEquals(403, replayed.statusCode(), replayed.body());
        assertTrue(replayed.body().contains("invalid_grant"), replayed.body());

        // An ID token whose nonce is not the one this attempt sent.
        PROVIDER.forgeNonce("another-sign-in's-nonce");
        HttpClient replay = browser(false);
        String withWrongNonce = location(get(replay, location(get(replay, http.base() + "/device?user_code=" + code))));
        HttpResponse<String> wrongNonce = get(replay, withWrongNonce);
        assertEquals(403, wrongNonce.statusCode(), wrongNonce.body());
        assertTrue(wrongNonce.body().contains("nonce"), wrongNonce.body());
        assertEquals(303, get(replay, http.base() + "/device").statusCode(), "not signed in: sent to the provider again");

        assertEquals("authorization_pending", pending(device), "none of them approved anything");
    }
}
