package dev.creddy.anthropic.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.api.ApiError;
import dev.creddy.anthropic.token.TokenId;
import dev.creddy.anthropic.token.TokenLimits;
import dev.creddy.anthropic.token.TokenRecord;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EndpointRefusalTest {

    private static TokenRecord token(String limitsJson) {
        Instant now = Instant.parse("2026-12-03T12:00:00Z");
        return new TokenRecord(new TokenId("tok_endpointRefusal0"), "agent", now, now.plusSeconds(600), TokenLimits.defaultsFromJson(limitsJson));
    }

    @ParameterizedTest(name = "{0} {1} {2} -> {3}")
    @CsvSource(delimiter = '|', value = {
            "{}                                              | POST   | /v1/messages                         | allowed",
            "{}                                              | POST   | /v1/messages/count_tokens            | allowed",
            "{}                                              | GET    | /v1/models/claude-haiku-4-5          | allowed",
            "{}                                              | POST   | /v1/complete                         | allowed",
            "{}                                              | GET    | /v1/files                            | refused",
            "{}                                              | GET    | /v1/files/file_1/content             | refused",
            "{}                                              | POST   | /v1/messages/batches                 | refused",
            "{}                                              | GET    | /v1/messages/batches/b/results       | refused",
            "{\"endpoints\":null}                            | DELETE | /v1/files/file_1                     | allowed",
            "{\"endpoints\":[\"files\"]}                     | POST   | /v1/messages                         | refused",
            "{\"endpoints\":[\"batches\"]}                   | POST   | /v1/messages/batches                 | allowed",
            "{\"endpoints\":[\"batches\"],\"tpm\":10}        | POST   | /v1/messages/batches                 | refused",
            "{\"endpoints\":[\"batches\"],\"tpm\":10}        | POST   | /v1/messages/batches/                | refused",
            "{\"endpoints\":[\"batches\"],\"tpm\":10}        | POST   | /v1/messages/batches/b/cancel        | allowed",
            "{\"endpoints\":[\"batches\"],\"tpm\":10}        | GET    | /v1/messages/batches/b               | allowed",
            "{\"endpoints\":null,\"max_tokens_total\":9}     | POST   | /v1/messages/batches                 | refused",
            "{\"endpoints\":[\"batches\"],\"rpm\":10}        | POST   | /v1/messages/batches                 | allowed",
    })
    void decidesByEndpointAndTokenCounting(String limits, String method, String path, String expected) {
        Optional<ApiError> refusal = EndpointRefusal.of(token(limits), method, path, false);
        assertEquals(expected, refusal.isPresent() ? "refused" : "allowed", refusal.map(ApiError::message).orElse(""));
        refusal.ifPresent(error -> {
            assertEquals(403, error.status());
            assertEquals("permission_error", error.type());
        });
    }

    /** An agent with a dollar budget creates no batch, whatever its token; it still reads and cancels them. */
    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
            "POST | /v1/messages/batches          | refused",
            "POST | /v1/messages/batches/         | refused",
            "POST | /v1/messages/batches/b/cancel | allowed",
            "GET  | /v1/messages/batches/b        | allowed",
            "POST | /v1/messages                  | allowed",
    })
    void anAgentWithADollarBudgetCreatesNoBatch(String method, String path, String expected) {
        Optional<ApiError> refusal = EndpointRefusal.of(token("{\"endpoints\":null}"), method, path, true);
        assertEquals(expected, refusal.isPresent() ? "refused" : "allowed", refusal.map(ApiError::message).orElse(""));
        refusal.ifPresent(error -> assertTrue(error.message().contains("agent-budgets"), error.message()));
        assertTrue(EndpointRefusal.of(token("{\"endpoints\":null}"), method, path, false).isEmpty(), "without a budget");
    }
}
