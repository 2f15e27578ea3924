package dev.creddy.anthropic.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class UpstreamTargetTest {

    private final UpstreamTarget root = new UpstreamTarget(URI.create("https://api.anthropic.com"));

    @ParameterizedTest(name = "{0} ? {1} -> {2}")
    @CsvSource(nullValues = "NULL", value = {
            "/v1/messages, NULL, /v1/messages",
            "/v1/messages, beta=true, /v1/messages?beta=true",
            "/v1/models, limit=1000&after_id=x%20y, /v1/models?limit=1000&after_id=x%20y",
            "/v1/messages/batches/msgbatch_01/results, NULL, /v1/messages/batches/msgbatch_01/results",
            "/v1/files/file name, NULL, /v1/files/file%20name",
            "/v1/models/claude-sonnet-4-5@2025, NULL, /v1/models/claude-sonnet-4-5@2025",
            "/v1/x/caf\u00e9, NULL, /v1/x/caf%C3%A9",
            "/v1/a?b, NULL, /v1/a%3Fb",
            "/v1/a#b, NULL, /v1/a%23b",
    })
    void keepsThePathUnderV1(String path, String query, String expected) {
        assertEquals(expected, root.requestTarget(path, query).orElseThrow());
    }

    @ParameterizedTest
    @ValueSource(strings = {"/v1/", "/v1", "/v2/messages", "/health", "/v1/../admin", "/v1/./x", "/v1/a\nb", "/v1/a\u0000b", ""})
    void refusesAnythingElse(String path) {
        assertTrue(root.requestTarget(path, null).isEmpty(), path);
    }

    @Test
    void keepsTheUpstreamsBasePath() {
        UpstreamTarget gateway = new UpstreamTarget(URI.create("http://127.0.0.1:8081/anthropic"));
        assertEquals("/anthropic/v1/messages?beta=true", gateway.requestTarget("/v1/messages", "beta=true").orElseThrow());
    }
}
