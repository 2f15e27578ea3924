package dev.creddy.anthropic.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class GoDurationTest {

    @ParameterizedTest(name = "{0} = {1} ns")
    @CsvSource({
            "0, 0",
            "90s, 90000000000",
            "30m, 1800000000000",
            "1h30m, 5400000000000",
            "1.5h, 5400000000000",
            "2h45m30.5s, 9930500000000",
            "250ms, 250000000",
            "10us, 10000",
            "10\u00b5s, 10000",
            "7ns, 7",
            ".5s, 500000000",
            "-1m, -60000000000",
            "+5s, 5000000000",
            "1h1h, 7200000000000",
    })
    void parsesGoSyntax(String text, long nanos) {
        assertEquals(Duration.ofNanos(nanos), GoDuration.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1", "h", "1d", "1 h", "1hh", "abc", "1.2.3s", "-", ".s", "10 s", "1H", "99999999999999999999h",
            "2562048h", "1e3s"})
    void refusesWhatGoRefuses(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GoDuration.parse(text));
        assertTrue(e.getMessage().contains("duration"), e.getMessage());
    }

    @ParameterizedTest(name = "{0} prints as {1}")
    @CsvSource({
            "3600000000000, 1h0m0s",
            "1800000000000, 30m0s",
            "90000000000, 1m30s",
            "1500000000, 1.5s",
            "86400000000000, 24h0m0s",
            "5400000000000, 1h30m0s",
            "250000000, 250ms",
            "1500, 1.5\u00b5s",
            "7, 7ns",
            "0, 0s",
            "-60000000000, -1m0s",
    })
    void printsLikeGo(long nanos, String expected) {
        assertEquals(expected, GoDuration.format(Duration.ofNanos(nanos)));
    }
}
