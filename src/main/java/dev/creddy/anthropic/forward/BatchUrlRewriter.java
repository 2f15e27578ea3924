package dev.creddy.anthropic.forward;

import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.json.spi.JsonProvider;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Points the {@code results_url} of Message Batches at the proxy. Anthropic answers batch calls with
 * an absolute {@code results_url} on its own host, and SDKs fetch that URL as it is, past any base
 * URL: an agent behind the proxy has no real key to fetch it with. Rewritten to the proxy's public
 * URL, the download ({@code GET /v1/messages/batches/{id}/results}) comes through the proxy like any
 * other call and streams with the real key.
 *
 * <p>Only the small JSON answers of the metadata calls are rewritten (create, retrieve, list,
 * cancel), and only URLs under the configured upstream; everything else in the body, and any body
 * that is not JSON, stays as it was. Immutable and thread-safe.
 */
final class BatchUrlRewriter implements HeldAnswer {

    /** The largest metadata body rewritten; a larger one (never seen: a page of 1000 batches is ~0.5 MB) passes unchanged. */
    static final int MAX_BODY = 16 * 1024 * 1024;

    private static final String RESULTS_URL = "results_url";

    private final URI upstream;
    private final String upstreamPath;
    private final String publicBase;
    private final JsonProvider json;

    /**
     * @param upstream the configured upstream URL, without a trailing slash
     * @param publicBase the proxy's public base URL, without a trailing slash
     * @param json the JSON-P provider, looked up once where the application's class loader is current
     */
    BatchUrlRewriter(URI upstream, String publicBase, JsonProvider json) {
        this.upstream = upstream;
        this.upstreamPath = upstream.getRawPath() == null ? "" : upstream.getRawPath();
        this.publicBase = publicBase;
        this.json = json;
    }

    /**
     * Whether a request is one of the batch metadata calls whose answer carries {@code results_url}:
     * {@code POST /v1/messages/batches}, {@code GET /v1/messages/batches}, {@code GET …/{id}} and
     * {@code POST …/{id}/cancel}. The results download and {@code DELETE} are not.
     *
     * @param path the decoded, normalised path within the application
     */
    static boolean isBatchMetadata(String method, String path) {
        return Endpoint.of(path).isBatchMetadata(method);
    }

    @Override
    public CompletionStage<byte[]> answer(byte[] body) {
        return CompletableFuture.completedFuture(rewrite(body));
    }

    /** An answer it cannot rewrite has no URL to re-point that the client could use, and hides nothing. */
    @Override
    public boolean mayPassUnheld() {
        return true;
    }

    /** The body with every {@code results_url} under the upstream re-pointed at the proxy, or {@code body} itself when none was (or it is not JSON). */
    byte[] rewrite(byte[] body) {
        JsonValue document;
        try (var reader = json.createReader(new ByteArrayInputStream(body))) {
            document = reader.readValue();
        } catch (JsonException e) {
            // Includes JsonParsingException: a body that is not JSON is passed on as it came.
            return body;
        }
        boolean[] changed = {false};
        JsonValue rewritten = rewrite(document, changed);
        if (!changed[0]) {
            return body;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + 64);
        try (var writer = json.createWriter(out)) {
            writer.write(rewritten);
        }
        return out.toByteArray();
    }

    private JsonValue rewrite(JsonValue value, boolean[] changed) {
        if (value instanceof JsonObject object) {
            JsonObjectBuilder builder = json.createObjectBuilder();
            for (Map.Entry<String, JsonValue> entry : object.entrySet()) {
                JsonValue member = entry.getValue();
                if (entry.getKey().equals(RESULTS_URL) && member instanceof JsonString url) {
                    String proxied = throughProxy(url.getString());
                    if (proxied != null) {
                        changed[0] = true;
                        builder.add(RESULTS_URL, proxied);
                        continue;
                    }
                }
                builder.add(entry.getKey(), rewrite(member, changed));
            }
            return builder.build();
        }
        if (value instanceof JsonArray array) {
            JsonArrayBuilder builder = json.createArrayBuilder();
            for (JsonValue element : array) {
                builder.add(rewrite(element, changed));
            }
            return builder.build();
        }
        return value;
    }

    /** The proxy's URL for a URL under the upstream's {@code /v1/}, or null when it points elsewhere. */
    String throughProxy(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            return null;
        }
        if (uri.getScheme() == null || uri.getHost() == null || uri.getRawUserInfo() != null
                || !uri.getScheme().equalsIgnoreCase(upstream.getScheme()) || !uri.getHost().equalsIgnoreCase(upstream.getHost())
                || effectivePort(uri) != effectivePort(upstream)) {
            return null;
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        if (!path.startsWith(upstreamPath + "/v1/")) {
            return null;
        }
        String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
        return publicBase + path.substring(upstreamPath.length()) + query;
    }

    private static int effectivePort(URI uri) {
        if (uri.getPort() >= 0) {
            return uri.getPort();
        }
        return uri.getScheme().equalsIgnoreCase("https") ? 443 : 80;
    }
}
