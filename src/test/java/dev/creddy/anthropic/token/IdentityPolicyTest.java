package dev.creddy.anthropic.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IdentityPolicyTest {

    private static final IdentityPolicy POLICY = IdentityPolicy.parse("""
            {"agent:researcher": {"rpm": 10, "models": ["claude-haiku"]},
             "scope:anthropic": {"rpm": 100},
             "scope:anthropic:claude": {"rpm": 50, "tpm": 40000, "max_tokens_total": 2000000}}
            """);

    /** The most specific rule wins: the agent's own, else its longest granted scope's, else none (0 = unlimited). */
    @ParameterizedTest(name = "{0} with [{1}] -> rpm {2}")
    @CsvSource(delimiter = '|', value = {
            "researcher | anthropic:claude           | 10",
            "researcher | ''                         | 10",
            "writer     | anthropic                  | 100",
            "writer     | anthropic anthropic:claude | 50",
            "writer     | anthropic:claude anthropic | 50",
            "writer     | anthropic:other            | 0",
            "writer     | ''                         | 0",
            "Researcher | ''                         | 0",
    })
    void mostSpecificRuleWins(String agent, String scopes, long rpm) {
        TokenLimits limits = POLICY.limitsFor(agent, Arrays.stream(scopes.split(" ")).filter(s -> !s.isEmpty()).toList());
        assertEquals(rpm == 0 ? OptionalLong.empty() : OptionalLong.of(rpm), limits.rpm());
    }

    @org.junit.jupiter.api.Test
    void aRuleCarriesEveryLimit() {
        TokenLimits claude = POLICY.limitsFor("writer", List.of("anthropic:claude"));
        assertEquals(new TokenLimits(OptionalLong.of(50), OptionalLong.of(40000), OptionalLong.of(2000000), List.of()), claude);
        assertEquals(List.of("claude-haiku"), POLICY.limitsFor("researcher", List.of()).models());
        assertEquals(TokenLimits.NONE, IdentityPolicy.NONE.limitsFor("anyone", List.of("anthropic")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "[]", "{", "{\"agent:\":{}}", "{\"scope:\":{}}", "{\"user:x\":{}}", "{\"agent:x\":1}",
            "{\"agent:x\":{\"rpm\":0}}", "{\"agent:x\":{\"rpm\":1.5}}", "{\"agent:x\":{\"rpm\":\"60\"}}",
            "{\"agent:x\":{\"models\":\"claude\"}}", "{\"agent:x\":{\"models\":[1]}}", "{\"agent:x\":{\"burst\":3}}"})
    void refusesWhatItCannotReadExactly(String json) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IdentityPolicy.parse(json));
        assertTrue(!e.getMessage().isBlank());
    }
}
