package dev.creddy.anthropic.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EndpointTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "/v1/messages, MESSAGES",
            "/v1/messages/count_tokens, COUNT_TOKENS",
            "/v1/complete, COMPLETE",
            "/v1/messages/batches, BATCHES",
            "/v1/messages/batches/msgbatch_01, BATCH",
            "/v1/messages/batches/msgbatch_01/cancel, BATCH_CANCEL",
            "/v1/messages/batches/msgbatch_01/results, BATCH_RESULTS",
            "/v1/models, MODELS",
            "/v1/models/claude-haiku-4-5, MODEL",
            "/v1/files, FILES",
            "/v1/files/file_01, FILE",
            "/v1/files/file_01/content, FILE_CONTENT",
            "/v1/messages/, UNKNOWN",
            "/v1/Messages, UNKNOWN",
            "/v1/messages/count_tokens/, UNKNOWN",
            "/v1/messages/x, UNKNOWN",
            "/v1/messages/batches/, UNKNOWN",
            "/v1/messages/batches/b/other, UNKNOWN",
            "/v1/messages/batches/b/cancel/x, UNKNOWN",
            "/v1/models/a/b, UNKNOWN",
            "/v1/files/f/contents, UNKNOWN",
            "/v1/complete/x, UNKNOWN",
            "/v1/, UNKNOWN",
            "/v2/messages, UNKNOWN",
            "/v1/organizations/usage, UNKNOWN",
    })
    void eachEndpointHasOneSpelling(String path, Endpoint expected) {
        assertEquals(expected, Endpoint.of(path));
    }
}
