package dev.creddy.anthropic.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.token.TokenLimits;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TokenRequestTest {

    private static final Duration DEFAULT_TTL = Duration.ofHours(1);
    private static final Duration MAX_TTL = Duration.ofHours(24);
    private static final String ROBOT = "\uD83E\uDD16"; // one code point, two chars

    private static TokenRequest parse(String body) {
        return TokenRequest.parse(body, DEFAULT_TTL, MAX_TTL, TokenLimits.NONE);
    }

    private static final TokenLimits DEFAULTS = new TokenLimits(OptionalLong.of(60), OptionalLong.empty(),
            OptionalLong.of(1_000_000), List.of("claude-haiku"));

    static Stream<Arguments> limitBodies() {
        return Stream.of(
                Arguments.of("{}", DEFAULTS),
                Arguments.of("{\"rpm\":5}", new TokenLimits(OptionalLong.of(5), OptionalLong.empty(), OptionalLong.of(1_000_000),
                        List.of("claude-haiku"))),
                Arguments.of("{\"limits\":{\"rpm\":5,\"tpm\":900}}", new TokenLimits(OptionalLong.of(5), OptionalLong.of(900),
                        OptionalLong.of(1_000_000), List.of("claude-haiku"))),
                Arguments.of("{\"rpm\":null,\"max_tokens_total\":null,\"models\":null}", TokenLimits.NONE),
                Arguments.of("{\"models\":[\"claude-sonnet-4\",\"claude-opus-4-1\"],\"tpm\":1000000000000000}",
                        new TokenLimits(OptionalLong.of(60), OptionalLong.of(1_000_000_000_000_000L), OptionalLong.of(1_000_000),
                                List.of("claude-sonnet-4", "claude-opus-4-1"))));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("limitBodies")
    void limitsLeftOutTakeTheDefaultsAndNullLiftsThem(String body, TokenLimits expected) {
        assertEquals(expected, TokenRequest.parse(body, DEFAULT_TTL, MAX_TTL, DEFAULTS).limits());
    }

    static Stream<Arguments> badLimits() {
        return Stream.of(
                Arguments.of("{\"rpm\":0}", "rpm must be a whole number from 1"),
                Arguments.of("{\"rpm\":2.5}", "rpm must be a whole number from 1"),
                Arguments.of("{\"tpm\":\"100\"}", "tpm must be a whole number from 1"),
                Arguments.of("{\"max_tokens_total\":1000000000000000001}", "max_tokens_total must be a whole number from 1"),
                Arguments.of("{\"models\":[]}", "models must be a list of 1 to 100"),
                Arguments.of("{\"models\":{}}", "models must be a list of 1 to 100"),
                Arguments.of("{\"models\":[\"a b\"]}", "each of models must be a model name"),
                Arguments.of("{\"models\":[\"" + "m".repeat(201) + "\"]}", "each of models must be a model name"),
                Arguments.of("{\"limits\":{\"rpm\":1},\"rpm\":1}", "rpm is given both at the top level and in limits"),
                Arguments.of("{\"limits\":{\"rmp\":1}}", "unknown field \"rmp\" in limits"),
                Arguments.of("{\"limits\":5}", "limits must be an object"),
                Arguments.of("{\"rpm\":1,\"rpm\":2}", "\"rpm\" appears twice"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("badLimits")
    void refusesBadLimitsSayingWhatToFix(String body, String expected) {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> parse(body));
        assertTrue(refused.getMessage().contains(expected), refused.getMessage());
    }

    static Stream<Arguments> validBodies() {
        return Stream.of(
                Arguments.of("", Duration.ofHours(1), "unnamed"),
                Arguments.of(" \r\n\t ", Duration.ofHours(1), "unnamed"),
                Arguments.of("{}", Duration.ofHours(1), "unnamed"),
                Arguments.of("{\"ttl\":\"90s\",\"agent_name\":\"a\"}", Duration.ofSeconds(90), "a"),
                Arguments.of("{\"agent_name\":\"a\",\"ttl\":\"90s\"}", Duration.ofSeconds(90), "a"),
                Arguments.of(" {\n  \"ttl\" : \"5m\" ,\n  \"agent_name\" : \"spaced\"\n}\n", Duration.ofMinutes(5), "spaced"),
                Arguments.of("{\"ttl\":\"24h\"}", Duration.ofHours(24), "unnamed"),
                Arguments.of("{\"ttl\":\"23h59m59.999999999s\"}", Duration.ofHours(24).minusNanos(1), "unnamed"),
                Arguments.of("{\"ttl\":\"1h30m\"}", Duration.ofMinutes(90), "unnamed"),
                Arguments.of("{\"ttl\":\"1.5h\"}", Duration.ofMinutes(90), "unnamed"),
                Arguments.of("{\"ttl\":\"1ns\"}", Duration.ofNanos(1), "unnamed"),
                Arguments.of("{\"agent_name\":\"my-agent\"}", Duration.ofHours(1), "my-agent"),
                Arguments.of("{\"agent_name\":\"build bot #7 (nightly)\"}", Duration.ofHours(1), "build bot #7 (nightly)"),
                Arguments.of("{\"agent_name\":\"\u00e4gent-\u65e5\u672c-" + ROBOT + "\"}", Duration.ofHours(1),
                        "\u00e4gent-\u65e5\u672c-" + ROBOT),
                Arguments.of("{\"agent_name\":\"caf\\u00e9 \\ud83e\\udd16\"}", Duration.ofHours(1), "caf\u00e9 " + ROBOT),
                Arguments.of("{\"agent_name\":\"" + "x".repeat(128) + "\"}", Duration.ofHours(1), "x".repeat(128)),
                // 128 code points in 256 chars: the limit counts what a person sees, not UTF-16 units.
                Arguments.of("{\"agent_name\":\"" + ROBOT.repeat(128) + "\"}", Duration.ofHours(1), ROBOT.repeat(128)),
                Arguments.of("{\"agent_name\":\"" + "\u00e9".repeat(128) + "\"}", Duration.ofHours(1), "\u00e9".repeat(128)));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("validBodies")
    void acceptsValidBodies(String body, Duration ttl, String agentName) {
        TokenRequest request = parse(body);
        assertEquals(ttl, request.ttl());
        assertEquals(agentName, request.agentName());
    }

    static Stream<Arguments> badBodies() {
        return Stream.of(
                // Not JSON at all
                Arguments.of("{\"ttl\":", "not valid JSON"),
                Arguments.of("{\"ttl\":\"1h\"", "not valid JSON"),
                Arguments.of("{\"ttl\":\"1h\",}", "not valid JSON"),
                Arguments.of("{'ttl':'1h'}", "not valid JSON"),
                Arguments.of("{ttl:\"1h\"}", "not valid JSON"),
                Arguments.of("not json", "not valid JSON"),
                Arguments.of("ttl=1h&agent_name=a", "not valid JSON"),
                Arguments.of("{\"agent_name\":\"a\nb\"}", "not valid JSON"), // a raw newline inside a JSON string
                Arguments.of("\uFEFF{}", "not valid JSON"),
                // JSON, but not an object
                Arguments.of("[]", "must be a JSON object"),
                Arguments.of("[{\"ttl\":\"1h\"}]", "must be a JSON object"),
                Arguments.of("\"1h\"", "must be a JSON object"),
                Arguments.of("3600", "must be a JSON object"),
                Arguments.of("true", "must be a JSON object"),
                Arguments.of("null", "must be a JSON object"),
                // ttl of the wrong type
                Arguments.of("{\"ttl\":3600}", "ttl must be a string such as \"1h\""),
                Arguments.of("{\"ttl\":1.5}", "ttl must be a string"),
                Arguments.of("{\"ttl\":true}", "ttl must be a string"),
                Arguments.of("{\"ttl\":null}", "ttl must be a string"),
                Arguments.of("{\"ttl\":{\"hours\":1}}", "ttl must be a string"),
                Arguments.of("{\"ttl\":[\"1h\"]}", "ttl must be a string"),
                // ttl strings that are no lifetime
                Arguments.of("{\"ttl\":\"\"}", "ttl: empty duration"),
                Arguments.of("{\"ttl\":\"0\"}", "ttl must be longer than zero"),
                Arguments.of("{\"ttl\":\"0s\"}", "ttl must be longer than zero"),
                Arguments.of("{\"ttl\":\"-0\"}", "ttl must be longer than zero"),
                Arguments.of("{\"ttl\":\"-1h\"}", "ttl must be longer than zero"),
                Arguments.of("{\"ttl\":\"25h\"}", "ttl 25h0m0s is longer than the maximum of 24h0m0s"),
                Arguments.of("{\"ttl\":\"24h0m0.000000001s\"}", "is longer than the maximum of 24h0m0s"),
                Arguments.of("{\"ttl\":\"1d\"}", "ttl: unknown unit \"d\""),
                Arguments.of("{\"ttl\":\"1H\"}", "ttl: unknown unit \"H\""),
                Arguments.of("{\"ttl\":\"abc\"}", "ttl: invalid duration \"abc\""),
                Arguments.of("{\"ttl\":\" 1h\"}", "ttl: invalid duration"),
                Arguments.of("{\"ttl\":\"3600\"}", "ttl: missing unit"),
                Arguments.of("{\"ttl\":\"99999999999999999999h\"}", "ttl: duration \"99999999999999999999h\" is too long"),
                // agent_name
                Arguments.of("{\"agent_name\":\"\"}", "agent_name must not be empty"),
                Arguments.of("{\"agent_name\":\"" + "x".repeat(129) + "\"}", "agent_name is longer than 128 characters"),
                Arguments.of("{\"agent_name\":\"" + ROBOT.repeat(129) + "\"}", "agent_name is longer than 128 characters"),
                Arguments.of("{\"agent_name\":\"a\\nb\"}", "agent_name must not contain control"),
                Arguments.of("{\"agent_name\":\"a\\rb\"}", "agent_name must not contain control"),
                Arguments.of("{\"agent_name\":\"a\\tb\"}", "agent_name must not contain control"),
                Arguments.of("{\"agent_name\":\"a\\u0000b\"}", "agent_name must not contain control"),
                Arguments.of("{\"agent_name\":\"a\\u007fb\"}", "agent_name must not contain control"),
                Arguments.of("{\"agent_name\":\"\\u001b[31mred\"}", "agent_name must not contain control"),
                Arguments.of("{\"agent_name\":\"a\\u0085b\"}", "agent_name must not contain control"),
                Arguments.of("{\"agent_name\":\"a\u007fb\"}", "agent_name must not contain control"),
                Arguments.of("{\"agent_name\":42}", "agent_name must be a string"),
                Arguments.of("{\"agent_name\":null}", "agent_name must be a string"),
                Arguments.of("{\"agent_name\":[\"a\"]}", "agent_name must be a string"),
                Arguments.of("{\"agent_name\":false}", "agent_name must be a string"),
                // Fields the request does not take, including near misses of the real ones
                Arguments.of("{\"tll\":\"1h\"}", "unknown field \"tll\""),
                Arguments.of("{\"scope\":\"messages\"}", "unknown field \"scope\""),
                Arguments.of("{\"TTL\":\"1h\"}", "unknown field \"TTL\""),
                Arguments.of("{\"ttl \":\"1h\"}", "unknown field \"ttl \""),
                Arguments.of("{\"Agent_Name\":\"a\"}", "unknown field \"Agent_Name\""),
                Arguments.of("{\"agentName\":\"a\"}", "unknown field \"agentName\""),
                Arguments.of("{\"agent-name\":\"a\"}", "unknown field \"agent-name\""),
                Arguments.of("{\"\":\"1h\"}", "unknown field \"\""),
                Arguments.of("{\"ttl\":\"1h\",\"agent_name\":\"a\",\"extra\":null}", "unknown field \"extra\""),
                Arguments.of("{\"ttl\":\"1h\",\"ttl_\":\"2h\"}", "unknown field \"ttl_\""),
                // What the first version let through (found by review)
                Arguments.of("[".repeat(1001), "must be a JSON object"),
                Arguments.of("{\"a\":" + "[".repeat(1000) + "]".repeat(1000) + "}", "not valid JSON"),
                Arguments.of("{\"ttl\":\"1h\"} x", "not valid JSON"),
                Arguments.of("{\"ttl\":\"1h\"}{\"ttl\":\"99h\"}", "not valid JSON"),
                Arguments.of("{\"ttl\":\"25h\",\"ttl\":\"1h\"}", "\"ttl\" appears twice"),
                Arguments.of("{\"ttl\":\"\u0661h\"}", "ttl: "),
                Arguments.of("{\"ttl\":\"\uFF11h\"}", "ttl: "),
                Arguments.of("{\"agent_name\":\"a\\ud800b\"}", "agent_name must not contain"),
                Arguments.of("{\"agent_name\":\"evil\\u202etxt.exe\"}", "agent_name must not contain"),
                Arguments.of("{\"agent_name\":\"zero\\u200bwidth\"}", "agent_name must not contain"),
                Arguments.of("{\"agent_name\":\"line\\u2028sep\"}", "agent_name must not contain"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("badBodies")
    void refusesBadBodiesSayingWhatToFix(String body, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse(body));
        assertTrue(e.getMessage().contains(message), e.getMessage());
        assertTrue(e.getMessage().contains("ttl") || e.getMessage().contains("agent_name") || e.getMessage().contains("JSON"),
                "the message names the field or says JSON: " + e.getMessage());
    }
}
