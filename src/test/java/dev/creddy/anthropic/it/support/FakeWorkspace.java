package dev.creddy.anthropic.it.support;

import com.sun.net.httpserver.HttpExchange;
import dev.creddy.anthropic.it.support.FakeAnthropic.Received;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One Anthropic workspace's files and Message Batches, as the fake upstream keeps them for a test: the
 * Files API (upload, list, metadata, content, delete) and the Batches API (create, list, retrieve,
 * cancel, delete, results) with Anthropic's shapes and list pagination ({@code limit}, {@code after_id},
 * {@code before_id}; newest first; {@code data}, {@code has_more}, {@code first_id}, {@code last_id}).
 * Like the real API it knows nothing of agents: every object is everyone's. Objects can also be put in
 * directly ({@link #addFile}), as if created with the real key elsewhere. Thread-safe (synchronized).
 */
public final class FakeWorkspace implements FakeAnthropic.Responder {

    private record StoredFile(String id, String filename, byte[] content) {
        String metadata() {
            return "{\"id\":\"" + id + "\",\"type\":\"file\",\"filename\":\"" + filename + "\",\"mime_type\":\"text/plain\","
                    + "\"size_bytes\":" + content.length + ",\"created_at\":\"2026-12-03T12:00:00Z\",\"downloadable\":true}";
        }
    }

    /** Shared by every workspace of the JVM, so no two tests' objects have the same id. */
    private static final AtomicInteger ids = new AtomicInteger(100);
    /** Oldest first; listings read them newest first. */
    private final Map<String, StoredFile> files = new LinkedHashMap<>();
    private final Map<String, String> batches = new LinkedHashMap<>();

    /** A file that did not come through the proxy (the console, the real key, an older proxy). */
    public synchronized String addFile(String filename, String content) {
        String id = "file_011C" + ids.incrementAndGet();
        files.put(id, new StoredFile(id, filename, content.getBytes(StandardCharsets.UTF_8)));
        return id;
    }

    /** A batch that did not come through the proxy. */
    public synchronized String addBatch() {
        String id = "msgbatch_01" + ids.incrementAndGet();
        batches.put(id, "ended");
        return id;
    }

    public synchronized boolean hasFile(String id) {
        return files.containsKey(id);
    }

    @Override
    public synchronized void respond(Received request, HttpExchange exchange) throws IOException {
        String method = request.method();
        String[] path = request.path().substring(1).split("/", -1);
        Map<String, String> query = query(request.query());
        if (path.length >= 2 && path[1].equals("files")) {
            files(method, path, query, request, exchange);
        } else if (path.length >= 3 && path[1].equals("messages") && path[2].equals("batches")) {
            batches(method, path, query, exchange);
        } else {
            FakeAnthropic.standard(request, exchange);
        }
    }

    private void files(String method, String[] path, Map<String, String> query, Received request, HttpExchange exchange)
            throws IOException {
        if (path.length == 2 && method.equals("POST")) {
            String id = "file_011C" + ids.incrementAndGet();
            StoredFile file = new StoredFile(id, "upload.txt", multipartContent(request));
            files.put(id, file);
            FakeAnthropic.json(exchange, 200, file.metadata());
        } else if (path.length == 2 && method.equals("GET")) {
            List<String> metadata = new ArrayList<>();
            files.values().forEach(file -> metadata.add(file.metadata()));
            FakeAnthropic.json(exchange, 200, page(new ArrayList<>(files.keySet()), metadata, query));
        } else if (path.length >= 3 && !files.containsKey(path[2])) {
            FakeAnthropic.json(exchange, 404, Wire.error("not_found_error", "File not found: " + path[2]));
        } else if (path.length == 3 && method.equals("GET")) {
            FakeAnthropic.json(exchange, 200, files.get(path[2]).metadata());
        } else if (path.length == 3 && method.equals("DELETE")) {
            files.remove(path[2]);
            FakeAnthropic.json(exchange, 200, "{\"id\":\"" + path[2] + "\",\"type\":\"file_deleted\"}");
        } else if (path.length == 4 && path[3].equals("content") && method.equals("GET")) {
            byte[] content = files.get(path[2]).content();
            exchange.getResponseHeaders().set("content-type", "text/plain");
            exchange.sendResponseHeaders(200, content.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(content);
            }
        } else {
            FakeAnthropic.json(exchange, 404, Wire.error("not_found_error", "Not found"));
        }
    }

    private void batches(String method, String[] path, Map<String, String> query, HttpExchange exchange) throws IOException {
        if (path.length == 3 && method.equals("POST")) {
            String id = "msgbatch_01" + ids.incrementAndGet();
            batches.put(id, "in_progress");
            FakeAnthropic.json(exchange, 200, FakeBatchApi.batch(id, "in_progress"));
        } else if (path.length == 3 && method.equals("GET")) {
            List<String> listed = new ArrayList<>();
            batches.forEach((id, status) -> listed.add(FakeBatchApi.batch(id, status)));
            FakeAnthropic.json(exchange, 200, page(new ArrayList<>(batches.keySet()), listed, query));
        } else if (path.length >= 4 && !batches.containsKey(path[3])) {
            FakeAnthropic.json(exchange, 404, Wire.error("not_found_error", "Batch not found"));
        } else if (path.length == 4 && method.equals("GET")) {
            FakeAnthropic.json(exchange, 200, FakeBatchApi.batch(path[3], batches.get(path[3])));
        } else if (path.length == 4 && method.equals("DELETE")) {
            batches.remove(path[3]);
            FakeAnthropic.json(exchange, 200, "{\"id\":\"" + path[3] + "\",\"type\":\"message_batch_deleted\"}");
        } else if (path.length == 5 && path[4].equals("cancel") && method.equals("POST")) {
            batches.put(path[3], "ended");
            FakeAnthropic.json(exchange, 200, FakeBatchApi.batch(path[3], "ended"));
        } else if (path.length == 5 && path[4].equals("results") && method.equals("GET")) {
            byte[] line = ("{\"custom_id\":\"only\",\"result\":{\"type\":\"succeeded\",\"message\":"
                    + Wire.message("msg_" + path[3], "the answer for " + path[3]) + "}}\n").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("content-type", "application/binary");
            exchange.sendResponseHeaders(200, line.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(line);
            }
        } else {
            FakeAnthropic.json(exchange, 404, Wire.error("not_found_error", "Not found"));
        }
    }

    /** A list page over {@code ids} (oldest first), newest first, as the API pages it. */
    private static String page(List<String> ids, List<String> objects, Map<String, String> query) {
        List<Integer> order = new ArrayList<>();
        for (int i = ids.size() - 1; i >= 0; i--) {
            order.add(i);
        }
        int limit = Integer.parseInt(query.getOrDefault("limit", "20"));
        int from = 0;
        int to;
        if (query.containsKey("after_id")) {
            from = positionOf(order, ids, query.get("after_id")) + 1;
            to = Math.min(order.size(), from + limit);
        } else if (query.containsKey("before_id")) {
            to = positionOf(order, ids, query.get("before_id"));
            from = Math.max(0, to - limit);
        } else {
            to = Math.min(order.size(), limit);
        }
        StringBuilder data = new StringBuilder();
        for (int i = from; i < to; i++) {
            data.append(i == from ? "" : ",").append(objects.get(order.get(i)));
        }
        boolean hasMore = query.containsKey("before_id") ? from > 0 : to < order.size();
        String first = from < to ? "\"" + ids.get(order.get(from)) + "\"" : "null";
        String last = from < to ? "\"" + ids.get(order.get(to - 1)) + "\"" : "null";
        return "{\"data\":[" + data + "],\"has_more\":" + hasMore + ",\"first_id\":" + first + ",\"last_id\":" + last + "}";
    }

    private static int positionOf(List<Integer> order, List<String> ids, String id) {
        for (int i = 0; i < order.size(); i++) {
            if (ids.get(order.get(i)).equals(id)) {
                return i;
            }
        }
        return order.size();
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> query = new HashMap<>();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                int equals = pair.indexOf('=');
                if (equals > 0) {
                    query.put(pair.substring(0, equals), URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return query;
    }

    /** The first part's content of a multipart body (what the SDK uploads), or the whole body when it is not multipart. */
    private static byte[] multipartContent(Received request) {
        String type = request.header("content-type");
        byte[] body = request.body();
        if (type == null || !type.contains("boundary=")) {
            return body;
        }
        String boundary = "--" + type.substring(type.indexOf("boundary=") + "boundary=".length()).replace("\"", "");
        String text = new String(body, StandardCharsets.ISO_8859_1);
        int start = text.indexOf("\r\n\r\n", text.indexOf(boundary));
        int end = text.indexOf("\r\n" + boundary, start);
        if (start < 0 || end < 0) {
            return body;
        }
        return text.substring(start + 4, end).getBytes(StandardCharsets.ISO_8859_1);
    }
}
