package dev.creddy.anthropic.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ScopeRuleTest {

    /** Granted scopes are space separated here; the expected ones are those that satisfy {@code required}. */
    @ParameterizedTest(name = "{0} from [{1}] -> [{2}]")
    @CsvSource(delimiter = '|', value = {
            "anthropic | anthropic                      | anthropic",
            "anthropic | anthropic:claude               | anthropic:claude",
            "anthropic | read anthropic:claude write    | anthropic:claude",
            "anthropic | anthropic anthropic:claude     | anthropic anthropic:claude",
            "anthropic | anthropic anthropic            | anthropic",
            "anthropic | anthropic:                     | ''",
            "anthropic | anthropic-admin                | ''",
            "anthropic | anthropicx                     | ''",
            "anthropic | Anthropic                      | ''",
            "anthropic | openai:anthropic               | ''",
            "anthropic | ''                             | ''",
            "anthropic:claude | anthropic               | ''",
            "anthropic:claude | anthropic:claude:opus   | anthropic:claude:opus",
            "anthropic:claude | anthropic:claude        | anthropic:claude",
    })
    void grantsTheRequiredScopeOrANarrowerOne(String required, String granted, String expected) {
        assertEquals(words(expected), new ScopeRule(required).satisfying(words(granted)));
    }

    private static List<String> words(String text) {
        return Arrays.stream(text.split(" ")).filter(s -> !s.isEmpty()).toList();
    }
}
