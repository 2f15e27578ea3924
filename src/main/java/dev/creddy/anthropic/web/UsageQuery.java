package dev.creddy.anthropic.web;

import dev.creddy.anthropic.config.GoDuration;
import dev.creddy.anthropic.usage.UsageLedger.ReportKey;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.function.Function;

/**
 * A parsed {@code GET /v1/usage} query: {@code agent} (one agent's tokens only), and the window as
 * either {@code window} (a Go duration back from now, e.g. {@code 24h}) or {@code from} and
 * {@code to} (RFC 3339 times; {@code to} defaults to now). Without either, the last 24 hours. Usage is
 * kept per UTC hour, so the window widens to whole hours: {@code from} down, {@code to} up. A page:
 * {@code limit} token lines (1 to {@value #MAX_PAGE}, default {@value #DEFAULT_PAGE}), starting
 * {@code after} the previous page's {@code next}. Every rule failure is an
 * {@link IllegalArgumentException} whose message says what to fix. Immutable.
 *
 * @param agent the agent name to report on, or empty for all
 * @param from the window's start, on an hour
 * @param to the window's end (exclusive), on an hour
 * @param limit how many token lines the page holds at most
 * @param after where the page starts, or empty for the first
 */
record UsageQuery(Optional<String> agent, Instant from, Instant to, int limit, Optional<ReportKey> after) {

    static final Duration DEFAULT_WINDOW = Duration.ofHours(24);
    static final int DEFAULT_PAGE = 100;
    static final int MAX_PAGE = 1000;

    static UsageQuery parse(Function<String, String> parameters, Instant now) {
        String agent = parameters.apply("agent");
        String window = parameters.apply("window");
        String fromText = parameters.apply("from");
        String toText = parameters.apply("to");
        if (window != null && (fromText != null || toText != null)) {
            throw new IllegalArgumentException("give either window or from/to, not both");
        }
        Instant to = toText == null ? now : instant("to", toText);
        Instant from;
        if (fromText != null) {
            from = instant("from", fromText);
        } else {
            Duration back = window == null ? DEFAULT_WINDOW : window(window);
            from = to.minus(back);
        }
        if (!from.isBefore(to)) {
            throw new IllegalArgumentException("from must be before to");
        }
        Instant hourFrom = from.truncatedTo(ChronoUnit.HOURS);
        Instant hourTo = to.truncatedTo(ChronoUnit.HOURS);
        if (hourTo.isBefore(to)) {
            hourTo = hourTo.plus(Duration.ofHours(1));
        }
        String after = parameters.apply("after");
        return new UsageQuery(Optional.ofNullable(agent).filter(name -> !name.isEmpty()), hourFrom, hourTo,
                limit(parameters.apply("limit")),
                after == null || after.isEmpty() ? Optional.empty() : Optional.of(UsageCursor.decode(after)));
    }

    private static int limit(String text) {
        return PageLimit.parse(text, DEFAULT_PAGE, MAX_PAGE);
    }

    private static Instant instant(String name, String text) {
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(name + " must be an RFC 3339 time in UTC such as 2026-11-26T10:00:00Z");
        }
    }

    private static Duration window(String text) {
        Duration window;
        try {
            window = GoDuration.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("window: " + e.getMessage());
        }
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("window must be longer than zero, such as 24h");
        }
        return window;
    }
}
