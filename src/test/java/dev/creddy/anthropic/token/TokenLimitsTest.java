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

    @ParameterizedTest
    @ValueSource(strings = {"", "[]", "{\"rpm\":0}", "{\"rpm\":1.5}", "{\"tpm\":\"10\"}", "{\"models\":[1]}", "{\"models\":\"x\"}"})
    void refusesAStoredFormThatIsNotLimits(String text) {
        assertThrows(IllegalArgumentException.class, () -> TokenLimits.fromJson(text));
    }
}
