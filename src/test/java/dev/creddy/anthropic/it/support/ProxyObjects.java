package dev.creddy.anthropic.it.support;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/**
 * Files and batches with chosen ids created through the proxy, so that the proxy records them as the
 * token's agent's (it reaches no object it did not see created). For tests whose upstream answers
 * calls on fixed ids. Leaves the fake upstream {@linkplain FakeAnthropic#reset() reset}.
 */
public final class ProxyObjects {

    private ProxyObjects() {
    }

    /** Creates each batch through the proxy with {@code token}; the fake answers each create with the next id. */
    public static void createBatches(FakeAnthropic upstream, ProxyHttp http, String token, String... ids)
            throws IOException, InterruptedException {
        for (String id : ids) {
            upstream.respondWith((request, exchange) -> FakeAnthropic.json(exchange, 200, FakeBatchApi.batch(id, "in_progress")));
            create(upstream, http, token, "/v1/messages/batches", "application/json", "{\"requests\":[]}");
        }
        upstream.reset();
    }

    /** Creates each file through the proxy with {@code token}; the fake answers each upload with the next id. */
    public static void createFiles(FakeAnthropic upstream, ProxyHttp http, String token, String... ids)
            throws IOException, InterruptedException {
        for (String id : ids) {
            upstream.respondWith((request, exchange) -> FakeAnthropic.json(exchange, 200, "{\"id\":\"" + id
                    + "\",\"type\":\"file\",\"filename\":\"f.txt\",\"mime_type\":\"text/plain\",\"size_bytes\":1,"
                    + "\"created_at\":\"2026-12-03T12:00:00Z\",\"downloadable\":true}"));
            create(upstream, http, token, "/v1/files", "multipart/form-data; boundary=b",
                    "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.txt\"\r\n\r\nx\r\n--b--\r\n");
        }
        upstream.reset();
    }

    private static void create(FakeAnthropic upstream, ProxyHttp http, String token, String path, String type, String body)
            throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(http.request(path).header("x-api-key", token).header("content-type", type)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
        if (response.statusCode() != 200) {
            throw new AssertionError("creating through the proxy answered " + response.statusCode() + ": " + response.body());
        }
        upstream.takeRequest();
    }
}
