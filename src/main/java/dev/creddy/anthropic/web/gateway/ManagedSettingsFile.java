package dev.creddy.anthropic.web.gateway;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The operator's Claude Code settings file ({@code device-managed-settings}) as the gateway protocol's
 * {@code GET /managed/settings} answers it: {@code {"uuid": …, "checksum": …, "settings": {…}}}, the
 * checksum a SHA-256 of the settings as sent, which is also the answer's {@code ETag} (Claude Code sends
 * it back in {@code If-None-Match} and gets {@code 304} while nothing changed). Read again when the file's
 * modification time or size changes. Thread-safe: the current answer is one immutable value.
 */
final class ManagedSettingsFile {

    /** One answer: the body and its checksum. */
    record Answer(String body, String checksum) {
    }

    private record Cached(long modified, long size, Answer answer) {
    }

    private final Path path;
    private volatile Cached cached;

    ManagedSettingsFile(Path path) {
        this.path = path;
    }

    /**
     * The answer for the file as it is now.
     *
     * @throws IOException when it cannot be read or no longer holds one JSON object (the message never quotes it)
     */
    Answer current() throws IOException {
        BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
        long modified = attributes.lastModifiedTime().toMillis();
        Cached known = cached;
        if (known != null && known.modified() == modified && known.size() == attributes.size()) {
            return known.answer();
        }
        JsonObject settings;
        try (JsonReader reader = Json.createReader(Files.newBufferedReader(path, StandardCharsets.UTF_8))) {
            settings = reader.readObject();
        } catch (RuntimeException e) {
            throw new IOException("device-managed-settings no longer holds one JSON object");
        }
        String compact = settings.toString();
        String checksum = sha256(compact);
        Answer answer = new Answer(Json.createObjectBuilder().add("uuid", checksum).add("checksum", checksum)
                .add("settings", settings).build().toString(), checksum);
        cached = new Cached(modified, attributes.size(), answer);
        return answer;
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
