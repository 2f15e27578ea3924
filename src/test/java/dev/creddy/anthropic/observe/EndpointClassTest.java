package dev.creddy.anthropic.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EndpointClassTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "/v1/messages, messages",
            "/v1/messages/count_tokens, count_tokens",
            "/v1/messages/batches, batches",
            "/v1/messages/batches/msgbatch_01, batches",
            "/v1/messages/batches/msgbatch_01/results, batches",
            "/v1/messages/batchesX, other",
            "/v1/messages/other, other",
            "/v1/messages/count_tokens/x, other",
            "/v1/models, models",
            "/v1/models/claude-sonnet-4-5, models",
            "/v1/modelsX, other",
            "/v1/files, files",
            "/v1/files/file_1/content, files",
            "/v1/tokens, tokens",
            "/v1/tokens/self, tokens",
            "/v1/tokens/tok_3q2fJ5kQx0bXH1aR, tokens",
            "/v1/complete, other",
            "/v1, other",
            "/v1/, other",
            "/health, other",
            "'', other",
    })
    void classifiesPaths(String path, String expected) {
        assertEquals(expected, EndpointClass.of(path));
    }

    @org.junit.jupiter.api.Test
    void aMissingPathIsOther() {
        assertEquals("other", EndpointClass.of(null));
    }
}
