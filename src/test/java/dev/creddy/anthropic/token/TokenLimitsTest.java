package dev.creddy.anthropic.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class TokenLimitsTest {

    private static TokenLimits models(String... models) {
        return new TokenLimits(OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty(), List.of(models));
    }

    @ParameterizedTest(name = "{0} allowed by [claude-sonnet-4, claude-haiku, claude-opus-4-1-]: {1}")
    @CsvSource({
        "claude-sonnet-4, true",
        "claude-sonnet-4-5-20250929, true",
        "claude-sonnet-4-20250514, true",
        "claude-haiku-4-5, true",
        "claude-sonnet-40, false",
        "claude-sonnet-3-7, false",
        "claude-3-5-haiku-latest, false",
        "claude-opus-4-1-20250805, true",
        "claude-opus-4-1, false",
        "claude-opus-4, false",
        "CLAUDE-SONNET-4, false",
        "'', false",
    })
    void allowsNamesAndPrefixesEndingAtADash(String model, boolean allowed) {
        assertEquals(allowed, models("claude-sonnet-4", "claude-haiku", "claude-opus-4-1-").allowsModel(model));
    }

    @Test
    void noAllowlistAllowsEveryModel() {
        assertTrue(TokenLimits.NONE.allowsModel("anything-at-all"));
        assertFalse(TokenLimits.NONE.restrictsModels());
        assertFalse(TokenLimits.NONE.countsBeforeForwarding());
        assertFalse(models("claude-haiku").countsBeforeForwarding(), "a model allowlist alone needs no counters");
    }

    @Test
    void absentPartsComeFromTheDefaults() {
        TokenLimits defaults = new TokenLimits(OptionalLong.of(60), OptionalLong.of(10_000), OptionalLong.empty(),
                List.of("claude-haiku"));
        TokenLimits own = new TokenLimits(OptionalLong.of(5), OptionalLong.empty(), OptionalLong.of(1000), List.of());
        assertEquals(new TokenLimits(OptionalLong.of(5), OptionalLong.of(10_000), OptionalLong.of(1000), List.of("claude-haiku")),
                own.orElse(defaults));
        assertEquals(defaults, TokenLimits.NONE.orElse(defaults));
    }

    @Test
    void roundTripsThroughItsStoredForm() {
        TokenLimits limits = new TokenLimits(OptionalLong.of(60), OptionalLong.of(40_000), OptionalLong.of(5_000_000_000L),
                List.of("claude-sonnet-4", "claude-\"quoted\"\\\\"));
        assertEquals(limits, TokenLimits.fromJson(limits.toJson()));
        assertEquals("{}", TokenLimits.NONE.toJson());
        assertEquals(TokenLimits.NONE, TokenLimits.fromJson("{}"));
    }

    @Test
    void aConcurrencyCapRoundTripsAndTakesItsDefault() {
        TokenLimits capped = TokenLimits.fromJson("{\"rpm\":5,\"max_concurrent\":2}");
        assertEquals(OptionalLong.of(2), capped.maxConcurrent());
        assertEquals("{\"rpm\":5,\"max_concurrent\":2}", capped.toJson());
        assertEquals(capped, TokenLimits.fromJson(capped.toJson()));
        assertEquals(OptionalLong.of(2), TokenLimits.NONE.orElse(capped).maxConcurrent());
        assertEquals(OptionalLong.empty(), TokenLimits.fromJson("{\"rpm\":5}").maxConcurrent(),
                "a record stored before the cap existed has none");
        assertEquals(OptionalLong.of(2), TokenLimits.defaultsFromJson("{\"max_concurrent\":2}").maxConcurrent());
    }

    @Test
    void issuanceDefaultsLeaveFilesAndBatchesOutUnlessNamed() {
        assertEquals(TokenLimits.ISSUANCE_DEFAULT_ENDPOINTS, TokenLimits.defaultsFromJson("{}").endpoints());
        assertEquals(List.of("messages", "count_tokens", "models", "other"), TokenLimits.ISSUANCE_DEFAULT_ENDPOINTS);
        assertEquals(List.of(), TokenLimits.defaultsFromJson("{\"endpoints\":null}").endpoints(), "null opens every endpoint");
        assertEquals(List.of("models", "files"), TokenLimits.defaultsFromJson("{\"endpoints\":[\"files\",\"models\",\"files\"]}")
                .endpoints(), "stored in one order, once each");
        assertTrue(TokenLimits.NONE.allowsEndpoint("files"), "a record without a list (stored before lists existed) keeps every endpoint");
        assertFalse(TokenLimits.defaultsFromJson("{}").allowsEndpoint("batches"));
    }

    @Test
    void endpointsRoundTripAndComeFromTheDefaultsWhenLeftOut() {
        TokenLimits limits = TokenLimits.fromJson("{\"rpm\":3,\"endpoints\":[\"messages\",\"batches\"]}");
        assertEquals(limits, TokenLimits.fromJson(limits.toJson()));
        assertEquals(List.of("messages", "batches"), TokenLimits.fromJson("{\"rpm\":3}").orElse(limits).endpoints());
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"endpoints\":[]}", "{\"endpoints\":[\"message\"]}", "{\"endpoints\":\"files\"}",
            "{\"endpoints\":[1]}"})
    void refusesEndpointsThatAreNotKnownNames(String text) {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> TokenLimits.fromJson(text));
        assertTrue(refused.getMessage().startsWith("endpoints must be a list of endpoint names from messages, count_tokens"),
                refused.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "[]", "{\"rpm\":0}", "{\"rpm\":1.5}", "{\"tpm\":\"10\"}", "{\"models\":[1]}", "{\"models\":\"x\"}"})
    void refusesAStoredFormThatIsNotLimits(String text) {
        assertThrows(IllegalArgumentException.class, () -> TokenLimits.fromJson(text));
    }
}
