package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.models.messages.batches.BatchCreateParams;
import com.anthropic.models.messages.batches.BatchListPage;
import com.anthropic.models.messages.batches.MessageBatch;
import com.anthropic.models.messages.batches.MessageBatchIndividualResponse;
import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.FakeAnthropic.Received;
import dev.creddy.anthropic.it.support.FakeBatchApi;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyObjects;
import dev.creddy.anthropic.it.support.ProxyWar;
import dev.creddy.anthropic.it.support.Wire;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.net.URL;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Message Batches through the proxy with the official Java SDK: the upstream answers with Anthropic's
 * batch objects and an absolute {@code results_url} on its own host; the proxy re-points it at
 * itself, and the results download comes through the proxy with the real key. The deployment trusts
 * a front proxy's forwarding headers.
 */
@ExtendWith(ArquillianExtension.class)
@Timeout(60)
class BatchesIT {

    private static final FakeAnthropic UPSTREAM = FakeAnthropic.shared();
    
    @Deployment(testable = false)
    static WebArchive proxy() {
        Map<String, String> settings = new HashMap<>(ProxyWar.standardSettings());
        settings.put("trust-forwarded-headers", "true");
        return ProxyWar.withSettings("batches.war", settings);
    }

    @ArquillianResource
    URL base;

    private ProxyHttp http;
    private String token;
    private AnthropicClient client;

    @BeforeEach
    void connect() throws Exception {
        UPSTREAM.reset();
        UPSTREAM.respondWith(FakeBatchApi::respond);
        http = new ProxyHttp(base);
        token = http.issueTokenForEveryEndpoint("batches-it", "10m");
        // The proxy reaches only batches its token's agent created through it (issue 15, S8).
        ProxyObjects.createBatches(UPSTREAM, http, token, "msgbatch_01a", "msgbatch_01b", "msgbatch_01c", "msgbatch_01raw",
                "b1", "b2", "msgbatch_01gz", "msgbatch_nope", "msgbatch_big");
        UPSTREAM.respondWith(FakeBatchApi::respond);
        client = AnthropicOkHttpClient.builder().baseUrl(http.base()).apiKey(token).maxRetries(0)
                .timeout(Duration.ofSeconds(30)).build();
    }

    private String proxied(String id) {
        return http.base() + "/v1/messages/batches/" + id + "/results";
    }

    // --- tests --------------------------------------------------------------------------------

    @Test
    void theSdksBatchRoundTripDownloadsTheResultsThroughTheProxy() throws Exception {
        MessageBatch created = client.messages().batches().create(BatchCreateParams.builder()
                .addRequest(BatchCreateParams.Request.builder().customId("req-0")
                        .params(BatchCreateParams.Request.Params.builder().model("claude-sonnet-4-5").maxTokens(64L)
                                .addUserMessage("Hello").build())
                        .build())
                .build());
        assertEquals("msgbatch_01new", created.id());
        assertTrue(created.resultsUrl().isEmpty(), "in progress: no results yet");
        Received create = UPSTREAM.takeRequest();
        assertEquals("identity", create.header("accept-encoding"), "metadata calls ask for an uncompressed answer");
        assertTrue(create.bodyText().contains("\"custom_id\":\"req-0\""));

        MessageBatch ended = client.messages().batches().retrieve("msgbatch_01new");
        assertEquals(MessageBatch.ProcessingStatus.ENDED, ended.processingStatus());
        assertEquals(proxied("msgbatch_01new"), ended.resultsUrl().orElseThrow());
        assertEquals(2L, ended.requestCounts().succeeded());
        UPSTREAM.takeRequest();

        List<String> customIds = new ArrayList<>();
        try (StreamResponse<MessageBatchIndividualResponse> results = client.messages().batches().resultsStreaming("msgbatch_01new")) {
            results.stream().forEach(line -> {
                customIds.add(line.customId());
                assertEquals("answer number " + line.customId().substring(4),
                        line.result().asSucceeded().message().content().get(0).asText().text());
            });
        }
        assertEquals(FakeBatchApi.RESULT_LINES, customIds.size());
        assertEquals("req-0", customIds.get(0));
        Received download = UPSTREAM.takeRequest();
        assertEquals("/v1/messages/batches/msgbatch_01new/results", download.path());
        assertEquals(ProxyWar.REAL_KEY, download.header("x-api-key"));
    }

    @Test
    void listAndCancelAreRewrittenToo() throws Exception {
        BatchListPage page = client.messages().batches().list();
        List<MessageBatch> batches = page.data();
        assertEquals(3, batches.size());
        assertEquals(proxied("msgbatch_01a"), batches.get(0).resultsUrl().orElseThrow());
        assertTrue(batches.get(1).resultsUrl().isEmpty());
        assertEquals(proxied("msgbatch_01c"), batches.get(2).resultsUrl().orElseThrow());
        assertEquals("identity", UPSTREAM.takeRequest().header("accept-encoding"));

        MessageBatch cancelled = client.messages().batches().cancel("msgbatch_01c");
        assertEquals(proxied("msgbatch_01c"), cancelled.resultsUrl().orElseThrow());
        assertEquals("/v1/messages/batches/msgbatch_01c/cancel", UPSTREAM.takeRequest().path());
    }

    /** Byte level: a corrected Content-Length, everything but the URL unchanged, the download byte-identical. */
    @Test
    void theRewrittenBodyIsFramedAndTheDownloadIsByteIdentical() throws Exception {
        HttpResponse<String> retrieved = http.send(http.request("/v1/messages/batches/msgbatch_01raw").header("x-api-key", token)
                .header("accept-encoding", "gzip, deflate, br, zstd").GET().build());
        assertEquals(200, retrieved.statusCode());
        byte[] body = retrieved.body().getBytes(StandardCharsets.UTF_8);
        assertEquals(String.valueOf(body.length), retrieved.headers().firstValue("content-length").orElseThrow());
        assertTrue(retrieved.headers().firstValue("content-encoding").isEmpty());
        assertTrue(retrieved.headers().firstValue("request-id").orElseThrow().startsWith("req_fake_"));
        JsonObject got = Json.createReader(new StringReader(retrieved.body())).readObject();
        JsonObject upstream = Json.createReader(new StringReader(FakeBatchApi.batch("msgbatch_01raw", "ended"))).readObject();
        assertEquals(upstream.keySet(), got.keySet());
        for (String key : upstream.keySet()) {
            if (!key.equals("results_url")) {
                assertEquals(upstream.get(key), got.get(key), key);
            }
        }
        String resultsUrl = got.getString("results_url");
        assertEquals(proxied("msgbatch_01raw"), resultsUrl);
        assertEquals("identity", UPSTREAM.takeRequest().header("accept-encoding"));

        // The SDKs GET the results_url as it is, with the token: it must lead through the proxy.
        HttpResponse<byte[]> download = http.send(HttpRequest.newBuilder(java.net.URI.create(resultsUrl))
                .header("x-api-key", token).header("accept-encoding", "gzip, deflate, br, zstd").GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, download.statusCode());
        assertArrayEquals(FakeBatchApi.results(), download.body());
        // The download is no metadata call (not asked uncompressed), but it is metered (issue 19): its
        // codings are narrowed to those the meter reads, as for Messages.
        assertEquals("gzip, deflate", UPSTREAM.takeRequest().header("accept-encoding"),
                "the download is metered: only the codings the meter reads go up");
    }

    @Test
    void aFrontProxysForwardingHeadersShapeTheUrl() throws Exception {
        HttpResponse<String> viaXForwarded = http.send(http.request("/v1/messages/batches/b1").header("x-api-key", token)
                .header("X-Forwarded-Proto", "https").header("X-Forwarded-Host", "gw.example.com")
                .header("X-Forwarded-Prefix", "/llm").GET().build());
        assertEquals("https://gw.example.com/llm/v1/messages/batches/b1/results",
                Json.createReader(new StringReader(viaXForwarded.body())).readObject().getString("results_url"));

        HttpResponse<String> viaForwarded = http.send(http.request("/v1/messages/batches/b2").header("x-api-key", token)
                .header("Forwarded", "for=192.0.2.60;proto=https;host=\"gw.example.com:8443\"").GET().build());
        assertEquals("https://gw.example.com:8443" + base.getPath() + "v1/messages/batches/b2/results",
                Json.createReader(new StringReader(viaForwarded.body())).readObject().getString("results_url"));
    }

    /** The proxy never decompresses: an upstream that compresses anyway is passed on as it is. */
    @Test
    void aCompressedMetadataAnswerPassesUnchanged() throws Exception {
        byte[] json = FakeBatchApi.batch("msgbatch_01gz", "ended").getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(compressed)) {
            gzip.write(json);
        }
        UPSTREAM.respondWith((request, exchange) -> {
            exchange.getResponseHeaders().set("content-type", "application/json");
            exchange.getResponseHeaders().set("content-encoding", "gzip");
            exchange.sendResponseHeaders(200, compressed.size());
            try (OutputStream out = exchange.getResponseBody()) {
                compressed.writeTo(out);
            }
        });
        HttpResponse<byte[]> response = http.send(http.request("/v1/messages/batches/msgbatch_01gz").header("x-api-key", token)
                .header("accept-encoding", "gzip").GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, response.statusCode());
        assertEquals("gzip", response.headers().firstValue("content-encoding").orElseThrow());
        assertArrayEquals(compressed.toByteArray(), response.body());
    }

    /**
     * Errors and bodies over the 16 MB cap pass unchanged, streamed: declared or chunked. A retrieve's
     * (a listing's must be filtered, so one too large to read is refused: see the next test).
     */
    @ParameterizedTest(name = "length declared: {0}")
    @ValueSource(booleans = {true, false})
    void aListTooLargeToRewritePassesUnchanged(boolean declared) throws Exception {
        byte[] body = tooLargeToHold();
        UPSTREAM.respondWith((request, exchange) -> {
            exchange.getResponseHeaders().set("content-type", "application/json");
            exchange.sendResponseHeaders(200, declared ? body.length : 0);
            try (OutputStream out = exchange.getResponseBody()) {
                for (int offset = 0; offset < body.length; offset += 64 * 1024) {
                    out.write(body, offset, Math.min(64 * 1024, body.length - offset));
                }
            }
        });
        HttpResponse<byte[]> response = http.send(http.request("/v1/messages/batches/msgbatch_big").header("x-api-key", token)
                .GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, response.statusCode());
        assertArrayEquals(body, response.body());
        assertFalse(new String(response.body(), 0, 4096, StandardCharsets.UTF_8).contains(http.base()));
    }

    /** A listing too large to read cannot be filtered to the agent's own batches: 502, never shown as it came. */
    @ParameterizedTest(name = "length declared: {0}")
    @ValueSource(booleans = {true, false})
    void aListingTooLargeToFilterIsRefused(boolean declared) throws Exception {
        byte[] body = tooLargeToHold();
        UPSTREAM.respondWith((request, exchange) -> {
            exchange.getResponseHeaders().set("content-type", "application/json");
            exchange.sendResponseHeaders(200, declared ? body.length : 0);
            try (OutputStream out = exchange.getResponseBody()) {
                for (int offset = 0; offset < body.length; offset += 64 * 1024) {
                    out.write(body, offset, Math.min(64 * 1024, body.length - offset));
                }
            }
        });
        HttpResponse<String> response = http.send(http.request("/v1/messages/batches?limit=1000").header("x-api-key", token)
                .GET().build());
        assertEquals(502, response.statusCode(), response.body());
        assertTrue(response.body().contains("\"api_error\"") && !response.body().contains("msgbatch_0"), response.body());
    }

    /** A list page over the 16 MB the proxy holds. */
    private static byte[] tooLargeToHold() {
        StringBuilder page = new StringBuilder("{\"data\":[");
        int count = 0;
        while (page.length() < 17 * 1024 * 1024) {
            page.append(count == 0 ? "" : ",").append(FakeBatchApi.batch("msgbatch_" + count++, "ended"));
        }
        page.append("],\"has_more\":true,\"first_id\":\"msgbatch_0\",\"last_id\":\"msgbatch_").append(count - 1).append("\"}");
        return page.toString().getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void anUpstreamErrorOnAMetadataCallPassesUnchanged() throws Exception {
        String error = Wire.error("not_found_error", "batch msgbatch_nope not found");
        UPSTREAM.respondWith((request, exchange) -> FakeAnthropic.json(exchange, 404, error));
        HttpResponse<String> response = http.send(http.request("/v1/messages/batches/msgbatch_nope").header("x-api-key", token)
                .GET().build());
        assertEquals(404, response.statusCode());
        assertEquals(error, response.body());
        assertTrue(response.headers().firstValue("x-should-retry").isEmpty(), "upstream responses pass untouched");
    }
}
