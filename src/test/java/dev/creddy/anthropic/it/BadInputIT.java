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
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad input of every kind, sent as raw HTTP/1.1 so nothing is tidied on the way: each case gets a
 * 4xx in Anthropic's error shape with the right type, and the upstream receives nothing.
 */
@ExtendWith(ArquillianExtension.class)
@Timeout(60)
class BadInputIT {

    private static final FakeAnthropic UPSTREAM = FakeAnthropic.shared();
    /** A token of the right shape that was never issued. */
    private static final String UNKNOWN = "crd_" + "A".repeat(43);
    /** Placeholder replaced by a live token at run time. */
    private static final String LIVE = "{live}";
    private static final String ISSUER = "Bearer " + ProxyWar.ISSUER_KEY;

    @Deployment(testable = false)
    static WebArchive proxy() {
        Map<String, String> settings = new HashMap<>(ProxyWar.standardSettings());
        settings.put("max-request-body", "64KB");
        return ProxyWar.withSettings("badinput.war", settings);
    }

    @ArquillianResource
    URL base;

    private String liveToken;

    @BeforeEach
    void issueToken() throws Exception {
        UPSTREAM.reset();
        liveToken = new ProxyHttp(base).issueToken("bad-input-it", "10m");
    }

    /** One bad request: what is sent, and what must come back. */
    record Case(String name, String method, String path, Map<String, String> headers, String body, int status, String type) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static Map<String, String> headers(String... pairs) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put(pairs[i], pairs[i + 1]);
        }
        return map;
    }

    private static Case forwarded(String name, Map<String, String> headers) {
        return new Case("auth: " + name, "POST", "/v1/messages", headers, "{\"model\":\"m\",\"max_tokens\":1,\"messages\":[]}",
                401, "authentication_error");
    }

    private static Case tokenBody(String body, int status, String type) {
        return new Case("token body: " + (body.length() > 60 ? body.substring(0, 60) + "…" : body), "POST", "/v1/tokens",
                headers("Authorization", ISSUER, "Content-Type", "application/json"), body, status, type);
    }

    static Stream<Arguments> cases() {
        List<Case> cases = new ArrayList<>();
        // Credentials on the forwarding path: 401, never forwarded.
        cases.add(forwarded("none", headers()));
        cases.add(forwarded("empty x-api-key", headers("x-api-key", "")));
        cases.add(forwarded("prefix only", headers("x-api-key", "crd_")));
        cases.add(forwarded("one character short", headers("x-api-key", "crd_" + "A".repeat(42))));
        cases.add(forwarded("one character long", headers("x-api-key", "crd_" + "A".repeat(44))));
        for (String bad : List.of("!", "+", "/", "=", ".", "~", "%", " ")) {
            cases.add(forwarded("character '" + bad + "'", headers("x-api-key", "crd_" + "A".repeat(42) + bad)));
        }
        cases.add(forwarded("unknown token", headers("x-api-key", UNKNOWN)));
        cases.add(forwarded("upper-case prefix", headers("x-api-key", "CRD_" + "A".repeat(43))));
        cases.add(forwarded("an Anthropic key", headers("x-api-key", "sk-ant-api03-" + "A".repeat(40))));
        cases.add(forwarded("bearer without token", headers("Authorization", "Bearer")));
        cases.add(forwarded("bearer with blank token", headers("Authorization", "Bearer    ")));
        cases.add(forwarded("basic scheme", headers("Authorization", "Basic " + UNKNOWN)));
        cases.add(forwarded("digest scheme", headers("Authorization", "Digest username=x")));
        cases.add(forwarded("token scheme", headers("Authorization", "Token " + LIVE)));
        cases.add(forwarded("no scheme", headers("Authorization", LIVE)));
        cases.add(forwarded("two tokens in one bearer", headers("Authorization", "Bearer " + LIVE + " " + UNKNOWN)));
        cases.add(forwarded("x-api-key and bearer differ", headers("x-api-key", LIVE, "Authorization", "Bearer " + UNKNOWN)));
        cases.add(forwarded("bearer and x-api-key differ", headers("Authorization", "Bearer " + LIVE, "x-api-key", UNKNOWN)));
        cases.add(forwarded("live token with a suffix", headers("x-api-key", LIVE + "x")));
        cases.add(forwarded("live token cut short", headers("x-api-key", LIVE.substring(0, 1))));
        cases.add(forwarded("the issuer key as a token", headers("x-api-key", ProxyWar.ISSUER_KEY)));
        cases.add(forwarded("the issuer key as bearer", headers("Authorization", ISSUER)));
        cases.add(forwarded("real key as token", headers("x-api-key", ProxyWar.REAL_KEY)));
        cases.add(forwarded("non-ASCII token", headers("x-api-key", "crd_" + "\u00e9".repeat(43))));
        cases.add(forwarded("a scheme inside x-api-key", headers("x-api-key", "Bearer " + LIVE)));
        cases.add(forwarded("quoted token", headers("x-api-key", "\"" + LIVE + "\"")));

        // Paths outside the API: 404, never forwarded.
        for (String path : List.of("/admin", "/v2/messages", "/V1/messages", "/v1", "/v1/", "/v1/../admin", "/v1/%2e%2e/admin",
                "/v1/%2E%2E/x", "/v1/messages/../../admin", "/v1/messages/%2e%2e/%2e%2e/x", "/health/../v2/x",
                "/api/v1/messages", "/v1/tokens/../../manager/html", "/v10/messages", "/v1messages", "/index.html",
                "/WEB-INF/web.xml", "/META-INF/context.xml", "/v1/tokens/unknown-thing", "/v1/tokens/tok_short", "/_creddy/error",
                "/v1/tokens/self/extra", "/favicon.ico", "/v1/tokens/tok_AAAAAAAAAAAAAAAA/revoke")) {
            cases.add(new Case("path " + path, "POST", path, headers("x-api-key", LIVE), "{}", 404, "not_found_error"));
        }

        // Token requests: each rule, 400 invalid_request_error.
        for (String body : List.of("{\"ttl\":", "{\"ttl\":\"1h\"", "{\"ttl\":\"1h\",}", "{'ttl':'1h'}", "{ttl:\"1h\"}", "not json",
                "ttl=1h", "[]", "[{\"ttl\":\"1h\"}]", "\"1h\"", "3600", "true", "null", "{\"ttl\":3600}", "{\"ttl\":1.5}",
                "{\"ttl\":true}", "{\"ttl\":null}", "{\"ttl\":{}}", "{\"ttl\":[\"1h\"]}", "{\"ttl\":\"\"}", "{\"ttl\":\"0\"}",
                "{\"ttl\":\"0s\"}", "{\"ttl\":\"-1h\"}", "{\"ttl\":\"25h\"}", "{\"ttl\":\"1d\"}", "{\"ttl\":\"1H\"}",
                "{\"ttl\":\"abc\"}", "{\"ttl\":\" 1h\"}", "{\"ttl\":\"3600\"}", "{\"ttl\":\"99999999999999999999h\"}",
                "{\"ttl\":\"1e3s\"}", "{\"ttl\":\"1..5h\"}", "{\"ttl\":\"\\u0661h\"}", "{\"agent_name\":\"\"}",
                "{\"agent_name\":\"" + "x".repeat(129) + "\"}", "{\"agent_name\":\"a\\nb\"}", "{\"agent_name\":\"a\\rb\"}",
                "{\"agent_name\":\"a\\tb\"}", "{\"agent_name\":\"a\\u0000b\"}", "{\"agent_name\":\"a\\u001bb\"}",
                "{\"agent_name\":\"a\\u2028b\"}", "{\"agent_name\":\"a\\u202eb\"}", "{\"agent_name\":\"a\\u200bb\"}",
                "{\"agent_name\":\"a\\ud800b\"}", "{\"agent_name\":42}", "{\"agent_name\":null}", "{\"agent_name\":[]}",
                "{\"tll\":\"1h\"}", "{\"TTL\":\"1h\"}", "{\"agentName\":\"a\"}", "{\"scope\":\"all\"}", "{\"\":1}",
                "{\"ttl\":\"1h\",\"extra\":1}", "{\"ttl\":\"1h\"} x", "{\"ttl\":\"1h\"}{\"ttl\":\"2h\"}",
                "{\"ttl\":\"25h\",\"ttl\":\"1h\"}", "[".repeat(2000), "{\"a\":" + "[".repeat(1500) + "]".repeat(1500) + "}")) {
            cases.add(tokenBody(body, 400, "invalid_request_error"));
        }
        cases.add(tokenBody("{\"agent_name\":\"" + "x".repeat(70_000) + "\"}", 413, "request_too_large"));

        // Bodies that are no JSON, whatever their content type says (a bearer's JSON is read as JSON under any
        // type, as curl -d sends it; the refusal of other types under container credentials is in RoleIssuerIT).
        for (String type : List.of("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                "application/xml", "application/jsonx")) {
            cases.add(new Case("content type " + type, "POST", "/v1/tokens", headers("Authorization", ISSUER, "Content-Type", type),
                    "ttl=1h", 400, "invalid_request_error"));
        }
        cases.add(new Case("no content type", "POST", "/v1/tokens", headers("Authorization", ISSUER), "<ttl>1h</ttl>", 400,
                "invalid_request_error"));

        // Issuer credentials.
        for (String authorization : List.of("Bearer wrong", "Bearer " + ProxyWar.ISSUER_KEY + "x", "Bearer " + LIVE, "Bearer",
                "Basic Zm9vOmJhcg==", "Basic !!!", ProxyWar.ISSUER_KEY, "Bearer " + ProxyWar.ISSUER_KEY.toUpperCase(Locale.ROOT))) {
            cases.add(new Case("issuer auth " + (authorization.contains(ProxyWar.ISSUER_KEY) ? "near the key" : authorization),
                    "POST", "/v1/tokens", headers("Authorization", authorization, "Content-Type", "application/json"), "{}",
                    401, "authentication_error"));
        }
        cases.add(new Case("issuer auth missing", "GET", "/v1/tokens", headers(), null, 401, "authentication_error"));

        // Listing parameters.
        for (String query : List.of("limit=0", "limit=-1", "limit=1001", "limit=abc", "limit=1.5", "limit=", "after=x",
                "after=tok_short", "after=" + UNKNOWN, "after=tok_AAAAAAAAAAAAAAA!")) {
            cases.add(new Case("list " + query, "GET", "/v1/tokens?" + query, headers("Authorization", ISSUER), null, 400,
                    "invalid_request_error"));
        }

        // Methods.
        for (String[] methodPath : new String[][] {{"PUT", "/v1/tokens"}, {"PATCH", "/v1/tokens"}, {"DELETE", "/v1/tokens"},
                {"POST", "/v1/tokens/self"}, {"PUT", "/v1/tokens/self"}, {"GET", "/v1/tokens/tok_AAAAAAAAAAAAAAAA"},
                {"POST", "/v1/tokens/tok_AAAAAAAAAAAAAAAA"}, {"OPTIONS", "/v1/tokens"}}) {
            cases.add(new Case(methodPath[0] + " " + methodPath[1], methodPath[0], methodPath[1], headers("Authorization", ISSUER),
                    null, 405, "invalid_request_error"));
        }

        // Token item endpoints.
        cases.add(new Case("revoke unknown id", "DELETE", "/v1/tokens/tok_AAAAAAAAAAAAAAAA", headers("Authorization", ISSUER),
                null, 404, "not_found_error"));
        cases.add(new Case("self without token", "GET", "/v1/tokens/self", headers(), null, 401, "authentication_error"));
        cases.add(new Case("self with unknown token", "DELETE", "/v1/tokens/self", headers("x-api-key", UNKNOWN), null, 401,
                "authentication_error"));

        // Bodies over the forwarding limit (64KB here).
        cases.add(new Case("forwarded body over the limit", "POST", "/v1/messages", headers("x-api-key", LIVE,
                "Content-Type", "application/json"), "x".repeat(64 * 1024 + 1), 413, "request_too_large"));
        return cases.stream().map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void badInputGetsAClearErrorAndReachesNothing(Case bad) throws Exception {
        Map<String, String> headers = new LinkedHashMap<>();
        bad.headers().forEach((name, value) -> headers.put(name, value.replace(LIVE, liveToken)));
        Response response = send(bad.method(), contextPath() + bad.path().substring(1), headers, bad.body());
        assertEquals(bad.status(), response.status(), bad + " -> " + response.body());
        assertEquals("false", response.shouldRetry(), bad + ": a retry cannot help, and the client is told so");
        assertTrue(response.contentType().startsWith("application/json"), bad + ": " + response.contentType());
        JsonObject body = Json.createReader(new StringReader(response.body())).readObject();
        assertEquals("error", body.getString("type"));
        assertEquals(bad.type(), body.getJsonObject("error").getString("type"), bad + " -> " + response.body());
        assertFalse(body.getJsonObject("error").getString("message").isBlank());
        assertFalse(response.body().contains(liveToken.substring(4)), "the error echoes no token");
        assertEquals(0, UPSTREAM.pendingRequests(), bad + " reached the upstream");
    }

    @Test
    void neitherAHostHeaderNorAnAbsoluteTargetMovesTheUpstream() throws Exception {
        String path = contextPath() + "v1/models";
        for (String target : List.of(path, "http://evil.example:9999" + path)) {
            Response response = send("GET", target, headers("Host", "evil.example:9999", "x-api-key", liveToken,
                    "X-Forwarded-Host", "evil.example"), null);
            assertEquals(200, response.status(), response.body());
            FakeAnthropic.Received received = UPSTREAM.takeRequest();
            assertEquals("/v1/models", received.path(), "the request went to the configured upstream");
            assertFalse(String.valueOf(received.header("host")).contains("evil"), "the upstream saw its own host");
        }
    }

    private String contextPath() {
        return base.getPath();
    }

    /** A response as the wire carried it. */
    record Response(int status, String contentType, String shouldRetry, String body) {
    }

    /** One raw HTTP/1.1 exchange, with Connection: close so the body ends with the stream. */
    private Response send(String method, String target, Map<String, String> headers, String body) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), 5_000);
            socket.setSoTimeout(20_000);
            byte[] payload = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
            StringBuilder head = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n");
            if (!headers.containsKey("Host")) {
                head.append("Host: ").append(base.getHost()).append(':').append(base.getPort()).append("\r\n");
            }
            headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
            head.append("Connection: close\r\n");
            if (body != null) {
                head.append("Content-Length: ").append(payload.length).append("\r\n");
            }
            head.append("\r\n");
            socket.getOutputStream().write(head.toString().getBytes(StandardCharsets.UTF_8));
            socket.getOutputStream().write(payload);
            socket.getOutputStream().flush();
            return parse(socket.getInputStream());
        }
    }

    private static Response parse(InputStream in) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        in.transferTo(all);
        String text = all.toString(StandardCharsets.UTF_8);
        SuiteRecorder.response(text);
        int split = text.indexOf("\r\n\r\n");
        String head = text.substring(0, split);
        String rest = text.substring(split + 4);
        int status = Integer.parseInt(head.substring(9, 12));
        String contentType = "";
        String shouldRetry = null;
        boolean chunked = false;
        for (String line : head.split("\r\n")) {
            String lower = line.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-type:")) {
                contentType = line.substring(13).strip();
            } else if (lower.startsWith("x-should-retry:")) {
                shouldRetry = line.substring(15).strip();
            } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                chunked = true;
            }
        }
        return new Response(status, contentType, shouldRetry, chunked ? dechunk(rest) : rest);
    }

    private static String dechunk(String chunked) {
        StringBuilder out = new StringBuilder();
        int at = 0;
        while (true) {
            int lineEnd = chunked.indexOf("\r\n", at);
            int size = Integer.parseInt(chunked.substring(at, lineEnd).strip(), 16);
            if (size == 0) {
                return out.toString();
            }
            out.append(chunked, lineEnd + 2, lineEnd + 2 + size);
            at = lineEnd + 2 + size + 2;
        }
    }
}
