package dev.creddy.anthropic.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PlaceholdersTest {

    @ParameterizedTest(name = "\"{0}\" -> {1}")
    @CsvSource(delimiter = '|', value = {
            "${ANTHROPIC_API_KEY}|true",
            "${env.CREDDY_ISSUER_KEY}|true",
            "${CREDDY_ISSUER_KEY:-fallback}|true",
            "$\\{CREDDY_ISSUER_KEY}|true",
            "#{CREDDY_ISSUER_KEY}|true",
            "#{ENV=CREDDY_ISSUER_KEY}|true",
            "key-${X}-tail|true",
            "${}|true",
            "sk-ant-api03-abcDEF_123|false",
            "$CREDDY_ISSUER_KEY|false",
            "${unterminated|false",
            "}${|false",
            "{\"rpm\":5}|false",
            "a#b{c}|false",
            "https://api.anthropic.com|false",
    })
    void recognisesWhatAServerLeftUnreplaced(String value, boolean unresolved) {
        assertEquals(unresolved, Placeholders.isUnresolved(value));
    }
}
