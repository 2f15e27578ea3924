package dev.creddy.anthropic.api;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import java.nio.charset.StandardCharsets;

/**
 * The application's one JSON-B instance (building one is costly; using one is thread-safe), and the
 * byte forms of Anthropic errors that every error exit writes.
 */
@ApplicationScoped
public class JsonCodec {

    private Jsonb jsonb;

    /** JSON text of a value. */
    public String toJson(Object value) {
        return jsonb().toJson(value);
    }

    /** UTF-8 JSON of a value. */
    public byte[] toJsonBytes(Object value) {
        return toJson(value).getBytes(StandardCharsets.UTF_8);
    }

    /** The body of an error response. */
    public byte[] errorJson(ApiError error) {
        return toJsonBytes(ErrorBody.of(error));
    }

    /** An SSE {@code error} event, for a stream whose headers are already sent (Anthropic's mid-stream error). */
    public byte[] errorEvent(ApiError error) {
        return ("event: error\ndata: " + toJson(ErrorBody.of(error)) + "\n\n").getBytes(StandardCharsets.UTF_8);
    }

    private Jsonb jsonb() {
        return jsonb;
    }

    @PostConstruct
    void open() {
        jsonb = JsonbBuilder.create();
    }

    @PreDestroy
    void close() {
        try {
            jsonb.close();
        } catch (Exception e) {
            // Closing a JSON-B instance only releases caches; nothing to report at shutdown.
        }
    }
}
