package dev.creddy.anthropic.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import jakarta.json.spi.JsonProvider;
import java.io.StringReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BatchUrlRewriterTest {

    private static final String PUBLIC = "https://gw.example.com/creddy";

    private static BatchUrlRewriter rewriter(String upstream) {
        return new BatchUrlRewriter(URI.create(upstream), PUBLIC, JsonProvider.provider());
    }

    private static String batch(String id, String resultsUrl) {
        return "{\"id\":\"" + id + "\",\"type\":\"message_batch\",\"processing_status\":\"ended\","
                + "\"request_counts\":{\"processing\":0,\"succeeded\":2,\"errored\":0,\"canceled\":0,\"expired\":0},"
                + "\"ended_at\":\"2026-11-26T12:05:00Z\",\"created_at\":\"2026-11-26T12:00:00Z\","
                + "\"expires_at\":\"2026-11-27T12:00:00Z\",\"archived_at\":null,\"cancel_initiated_at\":null,"
                + "\"results_url\":" + (resultsUrl == null ? "null" : "\"" + resultsUrl + "\"") + "}";
    }

    private static JsonObject parse(byte[] json) {
        return Json.createReader(new StringReader(new String(json, StandardCharsets.UTF_8))).readObject();
    }

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource({
            "POST, /v1/messages/batches, true",
            "GET, /v1/messages/batches, true",
            "get, /v1/messages/batches/msgbatch_01, true",
            "POST, /v1/messages/batches/msgbatch_01/cancel, true",
            "GET, /v1/messages/batches/cancel, true",
            "GET, /v1/messages/batches/msgbatch_01/results, false",
            "DELETE, /v1/messages/batches/msgbatch_01, false",
            "POST, /v1/messages/batches/msgbatch_01, false",
            "GET, /v1/messages/batches/msgbatch_01/cancel, false",
            "POST, /v1/messages/batches/cancel, false",
            "PUT, /v1/messages/batches, false",
            "POST, /v1/messages, false",
            "GET, /v1/messages/batches/, false",
            "GET, /v1/messages/batchesx, false",
            "GET, /v1/files, false",
    })
    void onlyTheMetadataCallsAreRewritten(String method, String path, boolean metadata) {
        assertEquals(metadata, BatchUrlRewriter.isBatchMetadata(method, path));
    }

    @ParameterizedTest(name = "{0} + {1}")
    @CsvSource(nullValues = "-", value = {
            "https://api.anthropic.com, https://api.anthropic.com/v1/messages/batches/msgbatch_01/results, https://gw.example.com/creddy/v1/messages/batches/msgbatch_01/results",
            "https://api.anthropic.com, https://API.anthropic.com:443/v1/messages/batches/b/results?beta=true, https://gw.example.com/creddy/v1/messages/batches/b/results?beta=true",
            "https://api.anthropic.com, HTTPS://api.anthropic.com/v1/messages/batches/b%2Fc/results, https://gw.example.com/creddy/v1/messages/batches/b%2Fc/results",
            "http://127.0.0.1:9/prefix, http://127.0.0.1:9/prefix/v1/messages/batches/b/results, https://gw.example.com/creddy/v1/messages/batches/b/results",
            "https://api.anthropic.com, https://api.anthropic.com.evil.example/v1/messages/batches/b/results, -",
            "https://api.anthropic.com, http://api.anthropic.com/v1/messages/batches/b/results, -",
            "https://api.anthropic.com, https://api.anthropic.com:8443/v1/messages/batches/b/results, -",
            "https://api.anthropic.com, https://user@api.anthropic.com/v1/messages/batches/b/results, -",
            "https://api.anthropic.com, https://files.anthropic.com/v1/messages/batches/b/results, -",
            "https://api.anthropic.com, https://api.anthropic.com/v2/batches/b/results, -",
            "http://127.0.0.1:9/prefix, http://127.0.0.1:9/prefixed/v1/messages/batches/b/results, -",
            "http://127.0.0.1:9/prefix, http://127.0.0.1:9/v1/messages/batches/b/results, -",
            "https://api.anthropic.com, /v1/messages/batches/b/results, -",
            "https://api.anthropic.com, not a url, -",
    })
    void onlyUrlsUnderTheUpstreamsApiPointAtTheProxy(String upstream, String resultsUrl, String expected) {
        assertEquals(expected, rewriter(upstream).throughProxy(resultsUrl));
    }

    @Test
    void aBatchGetsTheProxysResultsUrlAndKeepsEverythingElse() {
        byte[] body = batch("msgbatch_01", "https://api.anthropic.com/v1/messages/batches/msgbatch_01/results")
                .getBytes(StandardCharsets.UTF_8);
        JsonObject rewritten = parse(rewriter("https://api.anthropic.com").rewrite(body));
        assertEquals(PUBLIC + "/v1/messages/batches/msgbatch_01/results", rewritten.getString("results_url"));
        JsonObject original = parse(body);
        for (String key : original.keySet()) {
            if (!key.equals("results_url")) {
                assertEquals(original.get(key), rewritten.get(key), key);
            }
        }
    }

    @Test
    void everyBatchOfAListPageIsRewritten() {
        String page = "{\"data\":[" + batch("b1", "https://api.anthropic.com/v1/messages/batches/b1/results") + ","
                + batch("b2", null) + "," + batch("b3", "https://api.anthropic.com/v1/messages/batches/b3/results")
                + "],\"has_more\":false,\"first_id\":\"b1\",\"last_id\":\"b3\"}";
        JsonObject rewritten = parse(rewriter("https://api.anthropic.com").rewrite(page.getBytes(StandardCharsets.UTF_8)));
        assertEquals(PUBLIC + "/v1/messages/batches/b1/results", rewritten.getJsonArray("data").getJsonObject(0).getString("results_url"));
        assertEquals(JsonValue.NULL, rewritten.getJsonArray("data").getJsonObject(1).get("results_url"), "in progress: still null");
        assertEquals(PUBLIC + "/v1/messages/batches/b3/results", rewritten.getJsonArray("data").getJsonObject(2).getString("results_url"));
        assertEquals("b3", rewritten.getString("last_id"));
    }

    @Test
    void escapedSlashesAreReadAsTheUrlTheyEncode() {
        String body = batch("b", "https:\\/\\/api.anthropic.com\\/v1\\/messages\\/batches\\/b\\/results");
        JsonObject rewritten = parse(rewriter("https://api.anthropic.com").rewrite(body.getBytes(StandardCharsets.UTF_8)));
        assertEquals(PUBLIC + "/v1/messages/batches/b/results", rewritten.getString("results_url"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "a batch still in progress|{\"id\":\"b\",\"type\":\"message_batch\",\"results_url\":null}",
            "a results_url elsewhere|{\"id\":\"b\",\"results_url\":\"https://elsewhere.example/v1/x\"}",
            "a results_url that is no string|{\"id\":\"b\",\"results_url\":42}",
            "not JSON|<html>oops</html>",
            "truncated JSON|{\"id\":\"b\",\"results_url\":\"https://api.anthropic.com/v1/messages/batches/b/res",
            "an error|{\"type\":\"error\",\"error\":{\"type\":\"not_found_error\",\"message\":\"x\"}}",
    })
    void aBodyWithNothingToRewriteIsPassedOnAsItCame(String name, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        assertSame(bytes, rewriter("https://api.anthropic.com").rewrite(bytes));
    }
}
