package dev.creddy.anthropic.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

    private static final String GH = "https://token.actions.githubusercontent.com";
    private static final IdentityPolicy WORKLOADS = IdentityPolicy.parse("""
            [{"match": {"iss": "%s", "repository": "acme/*", "ref": ["refs/heads/main", "refs/tags/v*"]},
              "agent": "gh:${repository}@${ref}", "limits": {"rpm": 30}},
             {"match": {"iss": "https://k8s.example", "aud": "creddy", "kubernetes.io": {"namespace": "ml"}}},
             {"group:ml-team": {"rpm": 7}, "group:everyone": {"rpm": 1}}]
            """.formatted(GH));

    @ParameterizedTest(name = "{0} ~ {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
            "acme/*        | acme/app          | true",
            "acme/*        | acme/            | true",
            "acme/*        | acmeX/app         | false",
            "acme/*        | other/acme/app    | false",
            "*/main        | refs/heads/main   | true",
            "refs/*/v*     | refs/tags/v1.2    | true",
            "a*b*c         | aXbYbZc           | true",
            "a*b*c         | aXbYbZ            | false",
            "exact         | exact             | true",
            "exact         | exactly           | false",
            "a.b           | aXb               | false",
    })
    void patternsTreatOnlyTheStarSpecially(String pattern, String text, boolean matches) {
        assertEquals(matches, ClaimRule.glob(pattern, text));
    }

    @org.junit.jupiter.api.Test
    void claimRulesMatchTheirIssuersClaimsAndNameTheAgent() {
        java.util.Map<String, Object> main = java.util.Map.of("iss", GH, "repository", "acme/app", "ref", "refs/heads/main");
        ClaimRule rule = WORKLOADS.claimRuleFor(GH, main).orElseThrow();
        assertEquals(java.util.Optional.of("gh:acme/app@refs/heads/main"), rule.agentName(main));
        assertEquals(OptionalLong.of(30), rule.limits().orElseThrow().rpm());
        assertTrue(WORKLOADS.claimRuleFor(GH, java.util.Map.of("iss", GH, "repository", "acme/app", "ref", "refs/tags/v2"))
                .isPresent(), "a list is any of its patterns");
        assertTrue(WORKLOADS.claimRuleFor(GH, java.util.Map.of("iss", GH, "repository", "acme/app", "ref", "refs/heads/dev"))
                .isEmpty());
        assertTrue(WORKLOADS.claimRuleFor("https://other.example", main).isEmpty(), "a rule is for its issuer only");
        assertTrue(WORKLOADS.claimRuleFor(GH, java.util.Map.of("iss", GH, "repository", List.of("acme/app"), "ref",
                "refs/heads/main")).isPresent(), "a list claim matches by any entry");

        java.util.Map<String, Object> pod = java.util.Map.of("iss", "https://k8s.example", "aud", List.of("other", "creddy"),
                "kubernetes.io", java.util.Map.of("namespace", "ml", "pod", java.util.Map.of("name", "p")));
        ClaimRule k8s = WORKLOADS.claimRuleFor("https://k8s.example", pod).orElseThrow();
        assertEquals(java.util.Optional.empty(), k8s.agentName(pod), "no agent template: the verifier names it");
        assertTrue(WORKLOADS.claimRuleFor("https://k8s.example", java.util.Map.of("iss", "https://k8s.example", "aud",
                "creddy", "kubernetes.io", "ml")).isEmpty(), "a nested pattern needs a nested claim");
        assertTrue(WORKLOADS.hasClaimRulesFor(GH));
        assertEquals(List.of(GH, "https://k8s.example"), WORKLOADS.claimRuleIssuers());
    }

    @org.junit.jupiter.api.Test
    void anAgentNameFromClaimsFollowsTheNameRules() {
        ClaimRule rule = WORKLOADS.claimRuleFor(GH, java.util.Map.of("iss", GH, "repository", "acme/a", "ref",
                "refs/heads/main")).orElseThrow();
        IllegalArgumentException broken = assertThrows(IllegalArgumentException.class, () -> rule.agentName(
                java.util.Map.of("repository", "acme/a\n{\"event\":\"x\"}", "ref", "refs/heads/main")));
        assertTrue(broken.getMessage().contains("must not contain control"), broken.getMessage());
        assertFalse(broken.getMessage().contains("event"), "the value is never quoted: " + broken.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> rule.agentName(java.util.Map.of("repository", "acme/a")));
        assertTrue(missing.getMessage().contains("the ref claim"), missing.getMessage());
        assertThrows(IllegalArgumentException.class, () -> rule.agentName(java.util.Map.of("repository", "x".repeat(200),
                "ref", "r")), "longer than an agent name may be");
    }

    @org.junit.jupiter.api.Test
    void groupRulesComeAfterAgentAndScopeRulesInTheirOrder() {
        assertEquals(OptionalLong.of(7), WORKLOADS.limitsFor("alice", List.of(), List.of("everyone", "ml-team")).rpm());
        assertEquals(OptionalLong.of(1), WORKLOADS.limitsFor("bob", List.of(), List.of("everyone")).rpm());
        assertEquals(TokenLimits.NONE, WORKLOADS.limitsFor("carol", List.of(), List.of("sales")));
        assertEquals(OptionalLong.of(10), POLICY.limitsFor("researcher", List.of(), List.of("ml-team")).rpm());
    }

    @ParameterizedTest
    @ValueSource(strings = {"[1]", "[{\"match\":{}}]", "[{\"match\":{\"repository\":\"a/*\"}}]",
            "[{\"match\":{\"iss\":\"https://*.example\"}}]", "[{\"match\":{\"iss\":\"https://i\"},\"agent\":1}]",
            "[{\"match\":{\"iss\":\"https://i\"},\"agent\":\"${\"}]", "[{\"match\":{\"iss\":\"https://i\"},\"agent\":\"${}\"}]",
            "[{\"match\":{\"iss\":\"https://i\"},\"limits\":{\"burst\":1}}]",
            "[{\"match\":{\"iss\":\"https://i\"},\"scope\":\"x\"}]", "[{\"match\":{\"iss\":\"https://i\",\"x\":[]}}]",
            "[{\"match\":{\"iss\":\"https://i\",\"x\":null}}]", "[{\"match\":{\"iss\":\"https://i\",\"x\":[{}]}}]"})
    void refusesClaimRulesItCannotReadExactly(String json) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IdentityPolicy.parse(json));
        assertTrue(e.getMessage().startsWith("rule 1"), e.getMessage());
    }
}
