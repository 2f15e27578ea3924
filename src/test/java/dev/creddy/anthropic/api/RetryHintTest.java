package dev.creddy.anthropic.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RetryHintTest {

    @ParameterizedTest(name = "{0} -> x-should-retry: {1}")
    @CsvSource({
            "400, false", "401, false", "403, false", "404, false", "405, false", "413, false",
            "408, true", "409, true", "429, true",
            "500, false", "502, true", "503, false", "504, false",
    })
    void theProxysOwnErrorsSayWhetherARetryCanHelp(int status, boolean retry) {
        ApiError error = ApiError.of(status, "m");
        assertEquals(retry, error.retry().shouldRetry());
        assertEquals(Map.of("x-should-retry", Boolean.toString(retry)), error.retry().headers());
    }

    @ParameterizedTest(name = "{0} ms -> retry-after: {1}")
    @CsvSource({"1, 1", "999, 1", "1000, 1", "1001, 2", "30000, 30"})
    void aKnownDelayIsSentInWholeSecondsRoundedUp(long millis, String seconds) {
        ApiError error = ApiError.retryAfter(503, "token store unavailable", Duration.ofMillis(millis));
        assertEquals("api_error", error.type());
        assertEquals(Map.of("x-should-retry", "true", "retry-after", seconds), error.retry().headers());
    }

    @Test
    void theHeaderComesFirst() {
        assertEquals("x-should-retry", RetryHint.after(Duration.ofSeconds(3)).headers().keySet().iterator().next());
    }

    @Test
    void aDelayBelongsToARetry() {
        assertThrows(IllegalArgumentException.class, () -> new RetryHint(false, Optional.of(Duration.ofSeconds(1))));
        assertThrows(IllegalArgumentException.class, () -> RetryHint.after(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> RetryHint.after(Duration.ofSeconds(-1)));
    }
}
