package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.UnauthorizedException;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.sun.net.httpserver.HttpServer;
import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.HeadlessChromium;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyWar;
import dev.creddy.anthropic.it.support.SuiteRecorder;
import dev.creddy.anthropic.it.support.Wire;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.OperateOnDeployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The operator console in a real browser: Debian's chromium, headless, driven by Selenium, against the
 * packaged WAR in embedded Tomcat (under a context path) with the fake Anthropic API. Signs in with
 * the issuer key, issues a token in the form, uses it with the official Java SDK, reads its usage in
 * the tokens view and the chart, revokes it in the page; proves a page of another origin can mint and
 * revoke nothing, that every console response carries its security headers, that the page asks no
 * other host for anything, and that {@code console=off} removes it all. Screenshots of each view go to
 * {@code target/console-screenshots/}.
 */
@ExtendWith(ArquillianExtension.class)
@Timeout(300)
class ConsoleIT {

    private static final FakeAnthropic UPSTREAM = FakeAnthropic.shared();
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final List<String> FILES = List.of("", "index.html", "console.css", "app.js", "api.js", "dom.js",
            "tokens.js", "issue.js", "usage.js", "health.js", "bars.js", "favicon.svg");

    @Deployment(name = "console", order = 1, testable = false)
    static WebArchive console() {
        return ProxyWar.withSettings("ops.war", ProxyWar.standardSettings());
    }

    @Deployment(name = "off", order = 2, testable = false)
    static WebArchive off() {
        Map<String, String> settings = new HashMap<>(ProxyWar.standardSettings());
        settings.put("console", "off");
        return ProxyWar.withSettings("ops-off.war", settings);
    }

    @Deployment(name = "realm", order = 3, testable = false)
    static WebArchive realm() {
        Path users;
        try {
            Path directory = Files.createDirectories(Path.of(System.getProperty("creddy.it.tomcat.base", "target/tomcat"))
                    .toAbsolutePath().getParent());
            users = Files.createTempFile(directory, "console-users-", ".xml");
            users.toFile().deleteOnExit();
            Files.writeString(users, "<tomcat-users>\n"
                    + "  <user username=\"ops\" password=\"ops-pass\" roles=\"creddy-issuer\"/>\n"
                    + "  <user username=\"dev\" password=\"dev-pass\" roles=\"developer\"/>\n"
                    + "</tomcat-users>\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return ProxyWar.withSettings("ops-realm.war", Map.of("anthropic-api-key", ProxyWar.REAL_KEY,
                "upstream-url", UPSTREAM.baseUrl()),
                "<Realm className=\"org.apache.catalina.realm.MemoryRealm\" pathname=\"" + users + "\"/>");
    }

    @ArquillianResource
    @OperateOnDeployment("console")
    URL consoleUrl;

    @ArquillianResource
    @OperateOnDeployment("off")
    URL offUrl;

    @ArquillianResource
    @OperateOnDeployment("realm")
    URL realmUrl;

    private static HeadlessChromium chromium;
    private ProxyHttp http;

    @BeforeAll
    static void startBrowser() {
        assertTrue(HeadlessChromium.installed(), "chromium and chromium-driver are installed (.ci/run installs them)");
        chromium = new HeadlessChromium();
    }

    @AfterAll
    static void stopBrowser() {
        if (chromium != null) {
            chromium.close();
        }
    }

    @BeforeEach
    void reset() {
        UPSTREAM.reset();
        http = new ProxyHttp(consoleUrl);
        chromium.size(1280, 900);
    }

    // --- helpers ------------------------------------------------------------------------------

    private ChromeDriver browser() {
        return chromium.driver();
    }

    private String page() {
        return http.base() + "/console/";
    }

    private WebDriverWait waiting() {
        // The views re-render their rows on every refresh: an element found a moment ago may be gone.
        return (WebDriverWait) new WebDriverWait(browser(), WAIT).ignoring(StaleElementReferenceException.class);
    }

    private WebElement visible(String id) {
        return waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id(id)));
    }

    private Object script(String code, Object... arguments) {
        return ((JavascriptExecutor) browser()).executeScript(code, arguments);
    }

    /** Opens the console and signs in with the issuer key, unless already signed in. */
    private void signedIn() {
        browser().get(page());
        waiting().until(driver -> driver.findElement(By.id("nav")).isDisplayed()
                || driver.findElement(By.id("view-sign-in")).isDisplayed());
        if (!browser().findElement(By.id("nav")).isDisplayed()) {
            WebElement key = visible("issuer-key");
            key.clear();
            key.sendKeys(ProxyWar.ISSUER_KEY);
            browser().findElement(By.id("sign-in-button")).click();
            visible("nav");
        }
    }

    private void view(String name) {
        browser().findElement(By.cssSelector("#nav a[data-view='" + name + "']")).click();
        visible("view-" + name);
    }

    /** Everything the browser holds for the page: the live DOM, the source it loaded, its storage. */
    private String everythingThePageHolds() {
        return script("return document.documentElement.outerHTML") + "\n" + browser().getPageSource() + "\n"
                + script("return JSON.stringify(Object.assign({}, localStorage)) + JSON.stringify(Object.assign({}, sessionStorage))"
                + " + document.cookie");
    }

    /**
     * Hands every response the browser received (and still holds) to the suite's leak audit, but for
     * the one that carries a new token by design (the 201 of POST /v1/tokens): its token goes to the
     * audit as a secret to look for everywhere else. Answers how many were handed over.
     */
    private int auditWhatTheBrowserReceived() {
        int recorded = 0;
        for (HeadlessChromium.Received response : chromium.responsesReceived()) {
            if (response.status() == 201 && response.url().endsWith("/v1/tokens")) {
                SuiteRecorder.token(json(response.body()).getString("token"));
                continue;
            }
            SuiteRecorder.response("browser " + response.status() + " " + response.url() + " " + response.headers() + "\n"
                    + response.body());
            recorded++;
        }
        return recorded;
    }

    private static JsonObject json(String text) {
        return Json.createReader(new StringReader(text)).readObject();
    }

    private static AnthropicClient sdk(String base, String token) {
        return AnthropicOkHttpClient.builder().baseUrl(base).apiKey(token).maxRetries(0).timeout(Duration.ofSeconds(30)).build();
    }

    private static MessageCreateParams ask() {
        return MessageCreateParams.builder().model("claude-sonnet-4-5").maxTokens(64L).addUserMessage("Hello").build();
    }

    private static void drain(StreamResponse<RawMessageStreamEvent> stream) {
        try (stream) {
            stream.stream().forEach(event -> { });
        }
    }

    private static void assertSecurityHeaders(String what, HttpResponse<?> response) {
        String policy = response.headers().firstValue("Content-Security-Policy").orElse("");
        assertTrue(policy.contains("default-src 'self'"), what + ": CSP " + policy);
        assertTrue(policy.contains("frame-ancestors 'none'"), what + ": CSP " + policy);
        assertFalse(policy.contains("unsafe-inline") || policy.contains("unsafe-eval"), what + ": CSP " + policy);
        assertEquals("nosniff", response.headers().firstValue("X-Content-Type-Options").orElse(""), what);
        assertEquals("no-referrer", response.headers().firstValue("Referrer-Policy").orElse(""), what);
        assertEquals("no-store", response.headers().firstValue("Cache-Control").orElse(""), what);
    }

    // --- tests --------------------------------------------------------------------------------

    @Test
    void aWrongIssuerKeyIsRefusedWithAClearMessageAndTheRightOneSignsIn() {
        browser().executeCdpCommand("Network.clearBrowserCookies", Map.of());
        browser().get(page());
        WebElement key = visible("issuer-key");
        chromium.screenshot("sign-in");
        key.sendKeys("not-the-issuer-key");
        browser().findElement(By.id("sign-in-button")).click();
        WebElement error = browser().findElement(By.id("sign-in-error"));
        waiting().until(driver -> error.getText().contains("Wrong issuer key"));
        assertFalse(browser().findElement(By.id("nav")).isDisplayed(), "still signed out");

        key.clear();
        key.sendKeys(ProxyWar.ISSUER_KEY);
        browser().findElement(By.id("sign-in-button")).click();
        visible("view-tokens");
        assertEquals("", browser().findElement(By.id("issuer-key")).getAttribute("value"), "the field is emptied");

        Cookie session = browser().manage().getCookieNamed("creddy_console");
        assertTrue(session != null && session.isHttpOnly(), "an HttpOnly session cookie: " + session);
        assertEquals("Strict", session.getSameSite());
        assertEquals("/ops/console", session.getPath());
        String held = everythingThePageHolds();
        assertFalse(held.contains(ProxyWar.ISSUER_KEY), "the issuer key is nowhere in the page or its storage");
        assertFalse(held.contains(session.getValue()), "the session cookie is not readable by the page");

        browser().navigate().refresh();
        visible("view-tokens");
        browser().findElement(By.id("sign-out")).click();
        visible("issuer-key");
        assertEquals(null, browser().manage().getCookieNamed("creddy_console"), "signing out clears the cookie");
        browser().navigate().refresh();
        visible("issuer-key");
    }

    @Test
    void aTokenIssuedInThePageIsShownOnceUsedThroughTheProxyAndRevokedInThePage() throws Exception {
        String agent = "console-agent-" + UUID.randomUUID().toString().substring(0, 8);
        signedIn();
        view("issue");
        // The API's own validation message, as it words it.
        visible("issue-agent").sendKeys(agent);
        browser().findElement(By.id("issue-rpm")).sendKeys("1.5");
        browser().findElement(By.id("issue-button")).click();
        WebElement error = browser().findElement(By.id("issue-error"));
        waiting().until(driver -> error.getText().contains("rpm"));
        HttpResponse<String> direct = http.requestToken("{\"agent_name\":\"x\",\"rpm\":1.5}");
        assertEquals(json(direct.body()).getJsonObject("error").getString("message"), error.getText());

        browser().findElement(By.id("issue-rpm")).clear();
        browser().findElement(By.id("issue-rpm")).sendKeys("600");
        browser().findElement(By.id("issue-ttl")).sendKeys("30m");
        browser().findElement(By.id("issue-models")).sendKeys("claude-sonnet-4-5, claude-haiku-4-5");
        browser().findElement(By.id("issue-button")).click();
        WebElement lines = visible("issued-lines");
        String pasted = lines.getAttribute("value");
        String[] parts = pasted.split("\n");
        assertEquals("ANTHROPIC_BASE_URL=" + http.base(), parts[0], pasted);
        assertTrue(parts[1].startsWith("ANTHROPIC_API_KEY=crd_"), pasted);
        String token = parts[1].substring("ANTHROPIC_API_KEY=".length());
        SuiteRecorder.token(token);
        assertTrue(browser().findElement(By.id("issued-copy")).isDisplayed(), "a copy button");
        chromium.screenshot("issue");

        assertTrue(auditWhatTheBrowserReceived() >= 10, "the browser's responses reach the leak audit");
        browser().navigate().refresh();
        visible("view-issue");
        String afterReload = everythingThePageHolds();
        assertFalse(afterReload.contains(token.substring(4)), "after a reload the token is nowhere in the DOM, source or storage");
        SuiteRecorder.response("console page after reload\n" + afterReload);

        AnthropicClient client = sdk(http.base(), token);
        UPSTREAM.respondWith((request, exchange) -> FakeAnthropic.json(exchange, 200,
                Wire.messageWithUsage("plain", 1234, 56, 78, 910)));
        client.messages().create(ask());
        UPSTREAM.takeRequest();
        UPSTREAM.respondWith((request, exchange) -> FakeAnthropic.streamMessage(exchange,
                Wire.eventsWithUsage(321, 11, 22, 654, "a", "streamed", "answer"), null));
        drain(client.messages().createStreaming(ask()));
        UPSTREAM.takeRequest();

        view("tokens");
        WebElement filter = visible("agent-filter");
        filter.clear();
        filter.sendKeys(agent);
        // Read in one script: the view re-renders its rows on every refresh.
        @SuppressWarnings("unchecked")
        Map<String, Object> row = (Map<String, Object>) waiting().until(driver -> {
            driver.findElement(By.id("tokens-refresh")).click();
            Object seen = script("const rows = document.querySelectorAll('#tokens-table tr[data-token-id]');"
                    + "if (rows.length !== 1) return null; const u = rows[0].querySelector('.usage');"
                    + "return {id: rows[0].dataset.tokenId, requests: u.dataset.requests, input: u.dataset.input,"
                    + " output: u.dataset.output, cache: u.dataset.cache, text: rows[0].innerText};");
            return seen instanceof Map<?, ?> map && "2".equals(map.get("requests")) ? map : null;
        });
        String id = (String) row.get("id");
        assertEquals("1555", row.get("input"));
        assertEquals("1564", row.get("output"));
        assertEquals("167", row.get("cache"));
        String text = (String) row.get("text");
        assertTrue(text.contains(agent) && text.contains("rpm 600") && text.contains("claude-haiku-4-5"), text);
        // Read through the wait: the row may be re-rendered between finding it and reading it.
        String countdown = waiting().until(driver -> driver.findElement(By.cssSelector("tr[data-token-id] .countdown")).getText());
        assertTrue(countdown.matches("([12]\\d|30)m \\d\\ds"), "a live countdown from 30m: " + countdown);
        waiting().until(driver -> !driver.findElement(By.cssSelector("tr[data-token-id] .countdown")).getText().equals(countdown));
        chromium.screenshot("tokens");

        view("usage");
        visible("usage-agent");
        waiting().until(driver -> driver.findElements(By.cssSelector("#usage-agent option[value='" + agent + "']")).size() == 1);
        new org.openqa.selenium.support.ui.Select(browser().findElement(By.id("usage-agent"))).selectByValue(agent);
        By chart = By.cssSelector("#usage-chart svg");
        waiting().until(driver -> {
            List<WebElement> svg = driver.findElements(chart);
            return svg.size() == 1 && "1555".equals(svg.get(0).getAttribute("data-input"))
                    && driver.findElement(By.id("usage-status")).getText().contains(agent);
        });
        WebElement svg = browser().findElement(chart);
        assertEquals("1564", svg.getAttribute("data-output"));
        assertEquals("167", svg.getAttribute("data-cache"));
        assertEquals(24, svg.findElements(By.cssSelector("g[data-hour]")).size(), "one bar per hour of the last 24");
        WebElement agentRow = browser().findElement(By.cssSelector("#usage-table tr[data-agent='" + agent + "']"));
        assertEquals("1555", agentRow.getAttribute("data-input"));
        assertEquals("1564", agentRow.getAttribute("data-output"));
        chromium.screenshot("usage");
        browser().findElement(By.id("usage-7d")).click();
        waiting().until(driver -> driver.findElements(By.cssSelector("#usage-chart svg g[data-hour]")).size() == 168
                && "1555".equals(driver.findElement(chart).getAttribute("data-input")));

        // The agent's name leads to its tokens.
        browser().findElement(By.cssSelector("#usage-table tr[data-agent='" + agent + "'] a.agent")).click();
        visible("view-tokens");
        waiting().until(driver -> driver.findElement(By.id("agent-filter")).getAttribute("value").equals(agent));

        WebElement revoke = waiting().until(ExpectedConditions.elementToBeClickable(
                By.cssSelector("tr[data-token-id='" + id + "'] button.revoke")));
        revoke.click();
        visible("revoke-dialog");
        assertEquals(id, browser().findElement(By.id("revoke-id")).getText());
        chromium.screenshot("revoke-confirmation");
        browser().findElement(By.id("revoke-confirm")).click();
        waiting().until(ExpectedConditions.invisibilityOfElementLocated(By.cssSelector("tr[data-token-id='" + id + "']")));
        assertThrows(UnauthorizedException.class, () -> client.messages().create(ask()), "the token is refused at once");

        view("health");
        waiting().until(driver -> driver.findElements(By.cssSelector("#readiness li[data-part]")).size() == 3
                && !driver.findElements(By.cssSelector("#figures dd[data-figure='Streams open']")).isEmpty());
        for (String part : List.of("configuration", "token_registry", "upstream_client")) {
            assertTrue(browser().findElement(By.cssSelector("#readiness li[data-part='" + part + "']")).getText().startsWith("ok"), part);
        }
        waiting().until(driver -> driver.findElement(By.cssSelector("#figures dd[data-figure='Requests per second']"))
                .getText().matches("\\d+\\.\\d\\d"));
        waiting().until(driver -> !driver.findElements(By.cssSelector("#failures li[data-reason='unknown']")).isEmpty());
        chromium.screenshot("health");

        http.issue("narrow-screen", "20m");
        chromium.size(390, 844);
        view("tokens");
        visible("agent-filter").clear();
        browser().findElement(By.id("agent-filter")).sendKeys("narrow-screen");
        waiting().until(driver -> driver.findElements(By.cssSelector("#tokens-table tr[data-token-id]")).size() == 1);
        chromium.screenshot("tokens-390px");
        long overflow = (Long) script("return document.documentElement.scrollWidth - document.documentElement.clientWidth");
        assertTrue(overflow <= 0, "the page itself does not scroll sideways at 390 px (tables scroll in their box): " + overflow);
        SuiteRecorder.response("console page at the end\n" + everythingThePageHolds());

        assertTrue(auditWhatTheBrowserReceived() >= 10, "the browser's responses reach the leak audit");
        onlyTheProxyWasAsked();
        for (LogEntry entry : chromium.consoleLog()) {
            assertFalse(entry.getMessage().contains("Content Security Policy"), "no CSP violation: " + entry.getMessage());
        }
    }

    /** From the browser's performance log: every request the page made went to the proxy's own origin. */
    private void onlyTheProxyWasAsked() {
        URI proxy = URI.create(http.base());
        List<String> asked = new ArrayList<>();
        for (LogEntry entry : chromium.performanceLog()) {
            JsonObject message = json(entry.getMessage()).getJsonObject("message");
            if (!message.getString("method").equals("Network.requestWillBeSent")) {
                continue;
            }
            asked.add(message.getJsonObject("params").getJsonObject("request").getString("url"));
        }
        assertTrue(asked.size() > 20, "the log saw the page's requests: " + asked);
        for (String url : asked) {
            URI uri = URI.create(url);
            if (!List.of("http", "https", "ws", "wss").contains(uri.getScheme())) {
                // data: URLs and the browser's own pages (chrome://new-tab-page before the first page): no network.
                continue;
            }
            boolean crossOriginTest = uri.getPath().startsWith("/attack");
            assertTrue(crossOriginTest || (uri.getHost().equals(proxy.getHost()) && uri.getPort() == proxy.getPort()),
                    "a request to another host: " + url);
        }
    }

    @Test
    void aPageOfAnotherOriginMintsNothingAndRevokesNothing() throws Exception {
        ProxyHttp.Issued victim = http.issue("cross-origin-victim", "10m");
        signedIn();
        String tokens = http.base() + "/v1/tokens";
        String attack = "<!doctype html><html><body>"
                + "<form id=mint method=POST action=\"" + tokens + "\" enctype=\"text/plain\">"
                + "<input name='{\"agent_name\":\"cross-site\",\"ttl\":\"5m\",\"x\":\"' value='\"}'></form>"
                + "<script>"
                + "fetch('" + tokens + "/" + victim.id() + "',{method:'DELETE',credentials:'include'})"
                + ".catch(function(){}).finally(function(){"
                + "fetch('" + tokens + "',{method:'POST',mode:'no-cors',credentials:'include',headers:{'Content-Type':'text/plain'},"
                + "body:'{\"agent_name\":\"cross-site\"}'}).catch(function(){}).finally(function(){"
                + "document.getElementById('mint').submit();});});"
                + "</script></body></html>";
        HttpServer other = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        other.createContext("/attack", exchange -> {
            byte[] body = attack.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        other.start();
        try {
            browser().get("http://127.0.0.1:" + other.getAddress().getPort() + "/attack");
            // The form lands the browser on the proxy's answer to it.
            waiting().until(driver -> driver.getCurrentUrl().startsWith(tokens));
            // Refused as forged (the cookie came, its CSRF header could not) or as unauthenticated (the
            // browser kept the SameSite=Strict cookie back): either way, an error and no token.
            String answer = browser().findElement(By.tagName("body")).getText();
            assertTrue(answer.contains("\"permission_error\"") || answer.contains("\"authentication_error\""), answer);
            assertFalse(answer.contains("crd_"), answer);
        } finally {
            other.stop(0);
        }
        browser().get(page());
        visible("nav");

        HttpResponse<String> listed = http.send(http.request("/v1/tokens?limit=1000")
                .header("Authorization", "Bearer " + ProxyWar.ISSUER_KEY).GET().build());
        assertFalse(listed.body().contains("cross-site"), "nothing was minted: " + listed.body());
        assertTrue(listed.body().contains(victim.id()), "nothing was revoked: " + listed.body());
        assertEquals(200, http.listModels(victim.token()).statusCode(), "the victim's token still works");
    }

    @Test
    void theSessionAuthorizesOnlyWithItsCsrfTokenFromThisOriginAndEndsWithSignOut() throws Exception {
        HttpResponse<String> wrong = http.send(http.request("/console/session").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"issuer_key\":\"nope\"}")).build());
        assertEquals(401, wrong.statusCode());
        assertTrue(wrong.headers().allValues("Set-Cookie").isEmpty());

        HttpResponse<String> form = http.send(http.request("/console/session")
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("issuer_key=" + ProxyWar.ISSUER_KEY)).build());
        assertEquals(400, form.statusCode(), "a form cannot sign in: " + form.body());

        HttpResponse<String> signIn = http.send(http.request("/console/session").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"issuer_key\":\"" + ProxyWar.ISSUER_KEY + "\"}")).build());
        assertEquals(200, signIn.statusCode(), signIn.body());
        assertFalse(signIn.body().contains(ProxyWar.ISSUER_KEY));
        List<String> cookies = signIn.headers().allValues("Set-Cookie");
        assertEquals(4, cookies.size(), cookies.toString());
        for (String cookie : cookies) {
            assertTrue(cookie.contains("; HttpOnly") && cookie.contains("; SameSite=Strict") && cookie.contains("Max-Age=28800"),
                    cookie);
        }
        assertTrue(cookies.stream().anyMatch(cookie -> cookie.contains("Path=/ops/v1/tokens;")), cookies.toString());
        assertFalse(cookies.stream().anyMatch(cookie -> cookie.contains("Path=/ops/;") || cookie.contains("Path=/ops/v1;")),
                "never sent with forwarded requests: " + cookies);
        String cookie = cookies.get(0).split(";", 2)[0];
        String csrf = json(signIn.body()).getString("csrf");

        HttpResponse<String> bare = http.send(http.request("/v1/tokens").header("Cookie", cookie).GET().build());
        assertEquals(403, bare.statusCode(), "the cookie alone does nothing: " + bare.body());
        HttpResponse<String> elsewhere = http.send(http.request("/v1/tokens").header("Cookie", cookie)
                .header("X-Creddy-Console", csrf).header("Origin", "http://127.0.0.1:1").GET().build());
        assertEquals(403, elsewhere.statusCode(), "not from another origin: " + elsewhere.body());
        HttpResponse<String> listed = http.send(http.request("/v1/tokens").header("Cookie", cookie)
                .header("X-Creddy-Console", csrf).GET().build());
        assertEquals(200, listed.statusCode(), listed.body());
        HttpResponse<String> metrics = http.send(http.request("/metrics").header("Cookie", cookie)
                .header("X-Creddy-Console", csrf).GET().build());
        assertEquals(200, metrics.statusCode());
        String forwardedToken = http.issueToken("cookie-never-forwarded", "5m");
        http.send(http.request("/v1/models").header("x-api-key", forwardedToken).header("Cookie", cookie)
                .header("X-Creddy-Console", csrf).GET().build());
        assertEquals(401, http.send(http.request("/v1/models").header("Cookie", cookie).header("X-Creddy-Console", csrf)
                .GET().build()).statusCode(), "a console session is no token for the API");

        HttpResponse<String> signOut = http.send(http.request("/console/session").header("Cookie", cookie)
                .header("X-Creddy-Console", csrf).DELETE().build());
        assertEquals(204, signOut.statusCode());
        assertTrue(signOut.headers().allValues("Set-Cookie").stream().allMatch(value -> value.contains("Max-Age=0")));
        HttpResponse<String> after = http.send(http.request("/v1/tokens").header("Cookie", cookie)
                .header("X-Creddy-Console", csrf).GET().build());
        assertEquals(401, after.statusCode(), "the session is over: " + after.body());
    }

    @Test
    void everyConsoleResponseCarriesTheSecurityHeaders() throws Exception {
        for (String file : FILES) {
            HttpResponse<String> response = http.send(http.request("/console/" + file).GET().build());
            assertEquals(200, response.statusCode(), file);
            assertSecurityHeaders(file, response);
        }
        assertTrue(http.send(http.request("/console/app.js").GET().build()).headers().firstValue("Content-Type")
                .orElse("").startsWith("text/javascript"));
        HttpResponse<String> index = http.send(http.request("/console/").GET().build());
        assertFalse(index.body().matches("(?s).*<script(?![^>]*\\bsrc=)[^>]*>.*"), "no inline script");
        assertFalse(index.body().matches("(?s).*(https?:)?//[a-z0-9.-]+\\.[a-z]{2,}/.*"), "no other host named");
        assertEquals(404, http.send(http.request("/console/../WEB-INF/web.xml").GET().build()).statusCode());
        for (String path : List.of("/console", "/console/session", "/console/login", "/console/missing.js",
                "/console/WEB-INF/web.xml", "/console/.hidden.js")) {
            HttpResponse<String> response = http.send(http.request(path).GET().build());
            assertSecurityHeaders(path, response);
            assertTrue(response.statusCode() != 200 || path.equals("/console/session"), path + " " + response.statusCode());
        }
        HttpResponse<String> redirect = http.send(http.request("/console").GET().build());
        assertEquals(301, redirect.statusCode());
        assertEquals("console/", redirect.headers().firstValue("Location").orElse(""));
    }

    @Test
    void withTheConsoleOffEverythingUnderItIsA404() throws Exception {
        ProxyHttp off = new ProxyHttp(offUrl);
        for (String path : List.of("/console", "/console/", "/console/app.js", "/console/session", "/console/login")) {
            HttpResponse<String> response = off.send(off.request(path).GET().build());
            assertEquals(404, response.statusCode(), path);
            assertTrue(response.body().contains("console=off"), response.body());
        }
        HttpResponse<String> signIn = off.send(off.request("/console/session").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"issuer_key\":\"" + ProxyWar.ISSUER_KEY + "\"}")).build());
        assertEquals(404, signIn.statusCode());
        assertTrue(signIn.headers().allValues("Set-Cookie").isEmpty());
        browser().get(off.base() + "/console/");
        assertTrue(browser().getPageSource().contains("console=off"));
    }

    @Test
    void theServersOwnLoginOpensAConsoleSessionForAnIssuerByRole() throws Exception {
        ProxyHttp realm = new ProxyHttp(realmUrl);
        HttpResponse<String> challenge = realm.send(realm.request("/console/login").GET().build());
        assertEquals(401, challenge.statusCode());
        assertTrue(challenge.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Basic"));
        String developer = Base64.getEncoder().encodeToString("dev:dev-pass".getBytes(StandardCharsets.UTF_8));
        assertEquals(401, realm.send(realm.request("/console/login").header("Authorization", "Basic " + developer)
                .GET().build()).statusCode(), "a user without the role gets no session");

        String ops = Base64.getEncoder().encodeToString("ops:ops-pass".getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> login = realm.send(realm.request("/console/login").header("Authorization", "Basic " + ops).GET().build());
        assertEquals(303, login.statusCode(), login.body());
        assertEquals("./", login.headers().firstValue("Location").orElse(""));
        String cookie = login.headers().allValues("Set-Cookie").get(0).split(";", 2)[0];
        JsonObject session = json(realm.send(realm.request("/console/session").header("Cookie", cookie).GET().build()).body());
        assertTrue(session.getBoolean("signed_in"), session.toString());
        assertEquals("ops", session.getString("operator"));
        HttpResponse<String> issued = realm.send(realm.request("/v1/tokens").header("Cookie", cookie)
                .header("X-Creddy-Console", session.getString("csrf")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"agent_name\":\"by-console-role\",\"ttl\":\"5m\"}")).build());
        assertEquals(201, issued.statusCode(), issued.body());

        HttpResponse<String> byKey = realm.send(realm.request("/console/session").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"issuer_key\":\"anything\"}")).build());
        assertEquals(403, byKey.statusCode(), "no issuer key here: " + byKey.body());
        assertTrue(byKey.body().contains("server's login"), byKey.body());
    }
}
