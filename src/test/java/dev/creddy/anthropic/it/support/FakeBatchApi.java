package dev.creddy.anthropic.it.support;

import com.sun.net.httpserver.HttpExchange;
import dev.creddy.anthropic.it.support.FakeAnthropic.Received;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The Message Batches API as the fake upstream answers it, in Anthropic's shapes: MessageBatch
 * objects whose ended batches carry an absolute {@code results_url} on the fake's own host, a list
 * page, cancel, and a {@code .jsonl} results file that only the real key may download (as Anthropic
 * would refuse a {@code crd_} token). Stateless.
 */
public final class FakeBatchApi {

    /** How many lines the results file has. */
    public static final int RESULT_LINES = 3_000;

    private FakeBatchApi() {
    }

    /** Anthropic's MessageBatch object with {@code id} in {@code status} (in_progress, canceling or ended). */
    public static String batch(String id, String status) {
        boolean ended = status.equals("ended");
        return "{\"id\":\"" + id + "\",\"type\":\"message_batch\",\"processing_status\":\"" + status + "\","
                + "\"request_counts\":{\"processing\":" + (ended ? 0 : 2) + ",\"succeeded\":" + (ended ? 2 : 0)
                + ",\"errored\":0,\"canceled\":0,\"expired\":0},"
                + "\"ended_at\":" + (ended ? "\"2026-11-26T12:05:00Z\"" : "null") + ","
                + "\"created_at\":\"2026-11-26T12:00:00Z\",\"expires_at\":\"2026-11-27T12:00:00Z\","
                + "\"archived_at\":null,\"cancel_initiated_at\":" + (status.equals("canceling") ? "\"2026-11-26T12:01:00Z\"" : "null")
                + ",\"results_url\":" + (ended ? "\"" + FakeAnthropic.shared().baseUrl() + "/v1/messages/batches/" + id + "/results\"" : "null")
                + "}";
    }

    /** The results file: one MessageBatchIndividualResponse per line, each a succeeded message. */
    public static byte[] results() {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < RESULT_LINES; i++) {
            lines.append("{\"custom_id\":\"req-").append(i).append("\",\"result\":{\"type\":\"succeeded\",\"message\":")
                    .append(Wire.message("msg_batch_" + i, "answer number " + i)).append("}}\n");
        }
        return lines.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** A {@link FakeAnthropic.Responder} for the batch endpoints; anything else is 404. */
    public static void respond(Received request, HttpExchange exchange) throws IOException {
        String path = request.path();
        String method = request.method();
        if (method.equals("POST") && path.equals("/v1/messages/batches")) {
            FakeAnthropic.json(exchange, 200, batch("msgbatch_01new", "in_progress"));
        } else if (method.equals("GET") && path.equals("/v1/messages/batches")) {
            FakeAnthropic.json(exchange, 200, "{\"data\":[" + batch("msgbatch_01a", "ended") + "," + batch("msgbatch_01b", "in_progress")
                    + "," + batch("msgbatch_01c", "ended") + "],\"has_more\":false,\"first_id\":\"msgbatch_01a\",\"last_id\":\"msgbatch_01c\"}");
        } else if (method.equals("POST") && path.matches("/v1/messages/batches/[^/]+/cancel")) {
            FakeAnthropic.json(exchange, 200, batch(path.split("/")[4], "ended"));
        } else if (method.equals("GET") && path.matches("/v1/messages/batches/[^/]+/results")) {
            if (!ProxyWar.REAL_KEY.equals(request.header("x-api-key"))) {
                FakeAnthropic.json(exchange, 401, Wire.error("authentication_error", "invalid x-api-key"));
                return;
            }
            byte[] results = results();
            exchange.getResponseHeaders().set("content-type", "application/binary");
            exchange.getResponseHeaders().set("request-id", FakeAnthropic.shared().nextRequestId());
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                for (int offset = 0; offset < results.length; offset += 16 * 1024) {
                    out.write(results, offset, Math.min(16 * 1024, results.length - offset));
                    out.flush();
                }
            }
        } else if (method.equals("GET") && path.matches("/v1/messages/batches/[^/]+")) {
            FakeAnthropic.json(exchange, 200, batch(path.substring(path.lastIndexOf('/') + 1), "ended"));
        } else {
            FakeAnthropic.json(exchange, 404, Wire.error("not_found_error", "Not found"));
        }
    }
}
