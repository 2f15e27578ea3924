package dev.creddy.anthropic.it.support;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Raw HTTP to a deployed proxy, for tests about bytes and status codes, and for issuing tokens. */
public final class ProxyHttp {

    private static final Pattern TOKEN = Pattern.compile("\"token\":\"(crd_[A-Za-z0-9_-]+)\"");

    private final String base;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** @param base the deployment's URL, with or without a trailing slash */
    public ProxyHttp(URL base) {
        this(base.toString());
    }

    public ProxyHttp(String base) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    }

    public String base() {
        return base;
    }

    public HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
    }

    public HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        Matcher token = TOKEN.matcher(response.body());
        if (response.statusCode() == 201 && token.find()) {
            // The one response that carries a secret by design; the audit looks for it everywhere else.
            SuiteRecorder.token(token.group(1));
        } else if (response.statusCode() == 200 && deliversOAuthCredentials(response.body())) {
            // The gateway sign-in's device authorization and token answers hand out a device code, an access
            // token and a refresh token by design; the tests record those secrets, and the audit looks for them
            // everywhere else.
            while (token.find()) {
                SuiteRecorder.token(token.group(1));
            }
        } else {
            SuiteRecorder.response(response.statusCode() + " " + response.headers().map() + "\n" + response.body());
        }
        return response;
    }

    private static boolean deliversOAuthCredentials(String body) {
        return body.startsWith("{") && (body.contains("\"device_code\":") || body.contains("\"access_token\":"));
    }

    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
            throws IOException, InterruptedException {
        return http.send(request, handler);
    }

    /** Sends without waiting, for tests that hold an exchange open while they look at the proxy. */
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        return http.sendAsync(request, handler);
    }

    /** POST /v1/tokens with the issuer key and a JSON body. */
    public HttpResponse<String> requestToken(String json) throws IOException, InterruptedException {
        return send(request("/v1/tokens")
                .header("Authorization", "Bearer " + ProxyWar.ISSUER_KEY)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    /** A token as issuance answered it. */
    public record Issued(String id, String token, Instant expiresAt) {
    }

    /** Issues a token for {@code agent} with {@code ttl}, failing the test unless it is 201. */
    public Issued issue(String agent, String ttl) throws IOException, InterruptedException {
        HttpResponse<String> response = requestToken("{\"ttl\":\"" + ttl + "\",\"agent_name\":\"" + agent + "\"}");
        if (response.statusCode() != 201) {
            throw new AssertionError("token issuance answered " + response.statusCode() + ": " + response.body());
        }
        JsonObject body = Json.createReader(new StringReader(response.body())).readObject();
        return new Issued(body.getString("id"), body.getString("token"), Instant.parse(body.getString("expires_at")));
    }

    /** DELETE /v1/tokens/{id} with the issuer key. */
    public HttpResponse<String> revoke(String id) throws IOException, InterruptedException {
        return send(request("/v1/tokens/" + id).header("Authorization", "Bearer " + ProxyWar.ISSUER_KEY).DELETE().build());
    }

    /** GET /v1/models with {@code token}: a forwarded request the fake answers at once. */
    public HttpResponse<String> listModels(String token) throws IOException, InterruptedException {
        return send(request("/v1/models").header("x-api-key", token).header("anthropic-version", "2023-06-01").GET().build());
    }

    /** A fresh token for {@code agent} with {@code ttl}. */
    public String issueToken(String agent, String ttl) throws IOException, InterruptedException {
        return issue(agent, ttl).token();
    }

    /**
     * A fresh token that may call every endpoint, Files and Message Batches included (issuance leaves
     * those out unless the request names them), for tests that exercise them.
     */
    public String issueTokenForEveryEndpoint(String agent, String ttl) throws IOException, InterruptedException {
        HttpResponse<String> response = requestToken("{\"ttl\":\"" + ttl + "\",\"agent_name\":\"" + agent
                + "\",\"endpoints\":[\"messages\",\"count_tokens\",\"models\",\"batches\",\"files\",\"other\"]}");
        if (response.statusCode() != 201) {
            throw new AssertionError("token issuance answered " + response.statusCode() + ": " + response.body());
        }
        return Json.createReader(new StringReader(response.body())).readObject().getString("token");
    }
}
