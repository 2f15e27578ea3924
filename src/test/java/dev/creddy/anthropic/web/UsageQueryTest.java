package dev.creddy.anthropic.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.usage.UsageLedger.ReportKey;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class UsageQueryTest {

    private static final Instant NOW = Instant.parse("2026-11-26T10:41:17Z");

    private static UsageQuery parse(String... pairs) {
        Map<String, String> parameters = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            parameters.put(pairs[i], pairs[i + 1]);
        }
        return UsageQuery.parse(parameters::get, NOW);
    }

    @Test
    void withoutAWindowTheLast24HoursInWholeHours() {
        UsageQuery query = parse();
        assertEquals(Instant.parse("2026-11-25T10:00:00Z"), query.from());
        assertEquals(Instant.parse("2026-11-26T11:00:00Z"), query.to());
        assertEquals(Optional.empty(), query.agent());
    }

    @ParameterizedTest
    @CsvSource({
        "window, 1h, 2026-11-26T09:00:00Z, 2026-11-26T11:00:00Z",
        "window, 30m, 2026-11-26T10:00:00Z, 2026-11-26T11:00:00Z",
        "from, 2026-11-26T08:30:00Z, 2026-11-26T08:00:00Z, 2026-11-26T11:00:00Z",
    })
    void windowsWidenToWholeHours(String name, String value, String from, String to) {
        UsageQuery query = parse(name, value);
        assertEquals(Instant.parse(from), query.from());
        assertEquals(Instant.parse(to), query.to());
    }

    @Test
    void fromAndToOnHoursStayAndTheAgentFilters() {
        UsageQuery query = parse("from", "2026-11-20T00:00:00Z", "to", "2026-11-21T00:00:00Z", "agent", "ci-bot");
        assertEquals(Instant.parse("2026-11-20T00:00:00Z"), query.from());
        assertEquals(Instant.parse("2026-11-21T00:00:00Z"), query.to());
        assertEquals(Optional.of("ci-bot"), query.agent());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "window|0s|window must be longer than zero",
        "window|-1h|window must be longer than zero",
        "window|soon|window:",
        "from|yesterday|from must be an RFC 3339 time",
        "to|2026-11-26|to must be an RFC 3339 time",
    })
    void badQueriesSayWhatToFix(String name, String value, String expected) {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> parse(name, value));
        assertTrue(refused.getMessage().contains(expected), refused.getMessage());
    }

    @Test
    void windowAndFromTogetherAndABackwardsWindowAreRefused() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("window", "1h", "from", "2026-11-26T00:00:00Z"))
                .getMessage().contains("not both"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> parse("from", "2026-11-26T10:00:00Z", "to", "2026-11-26T09:00:00Z")).getMessage().contains("before"));
    }

    @Test
    void aPageIsAHundredLinesFromTheStartUnlessAsked() {
        UsageQuery query = parse();
        assertEquals(100, query.limit());
        assertEquals(Optional.empty(), query.after());
        assertEquals(1000, parse("limit", "1000").limit());
        assertEquals(Optional.empty(), parse("after", "").after(), "an empty after is the first page");
    }

    @ParameterizedTest
    @CsvSource({"ci-bot, tok_3q2fJ5kQx0bXH1aR", "'agent with spaces/and?&=', tok_aaaaaaaaaaaaaaaa", "\uD83D\uDE00\u00E9, tok_0000000000000000"})
    void nextGoesBackAsAfterWhateverTheAgentsName(String agent, String id) {
        ReportKey key = new ReportKey(agent, id);
        String next = UsageCursor.encode(key);
        assertTrue(next.matches("[A-Za-z0-9_-]+"), "safe in a query string as it is: " + next);
        assertEquals(Optional.of(key), parse("after", next).after());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "limit|0|limit must be a whole number from 1 to 1000",
        "limit|1001|limit must be a whole number from 1 to 1000",
        "limit|ten|limit must be a whole number from 1 to 1000",
        "after|tok_3q2fJ5kQx0bXH1aR|after must be the next value of the previous page",
        "after|***|after must be the next value of the previous page",
        "after|Y2ktYm90|after must be the next value of the previous page",
        "after|AXRva19h|after must be the next value of the previous page",
    })
    void badPagesSayWhatToFix(String name, String value, String expected) {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> parse(name, value));
        assertTrue(refused.getMessage().contains(expected), refused.getMessage());
    }
}
