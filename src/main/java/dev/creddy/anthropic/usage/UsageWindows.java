package dev.creddy.anthropic.usage;

import dev.creddy.anthropic.token.TokenLimits;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The calendar both ledgers count by: fixed UTC minutes for the limits, UTC hours for the history,
 * and which limit refuses a request. Kept in one place so that the memory and Redis ledgers cannot
 * disagree (the Redis ledger's admission script follows {@link #refusal} line by line).
 *
 * <p>Stateless.
 */
final class UsageWindows {

    static final Duration WINDOW = Duration.ofMinutes(1);
    static final Duration HOUR = Duration.ofHours(1);
    /**
     * Orders report lines: by agent, then token id ({@link UsageLedger.ReportKey}'s order), so both
     * ledgers answer and page alike.
     */
    static final Comparator<UsageLedger.UsageLine> REPORT_ORDER = Comparator.comparing(UsageLedger.UsageLine::key);

    private UsageWindows() {
    }

    /** Refuses a page of no lines: a caller's bug, since the endpoint checks its {@code limit}. */
    static int checkPageLimit(int limit) {
        if (limit < 1) {
            throw new IllegalStateException("a usage report page holds at least one line, not " + limit);
        }
        return limit;
    }

    /**
     * Compares by Unicode code point, which is the order of the UTF-8 bytes Redis compares; Java's
     * {@code compareTo} differs from it for characters above U+FFFF.
     */
    static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Boolean.compare(i < a.length(), j < b.length());
    }

    /** The start of the window {@code now} falls in. */
    static Instant windowStart(Instant now) {
        return now.truncatedTo(ChronoUnit.MINUTES);
    }

    /** When the window {@code now} falls in ends. */
    static Instant windowEnd(Instant now) {
        return windowStart(now).plus(WINDOW);
    }

    static Instant hourStart(Instant now) {
        return now.truncatedTo(ChronoUnit.HOURS);
    }

    /**
     * The limit that refuses one more request, if any. The lifetime budget is named first: it never
     * resets, so naming a window limit instead would send the client a retry time that cannot help.
     * Then {@code tpm} before {@code rpm}: both reset together, and tokens are what costs, so the
     * operator should see that it is tokens, not requests, that ran out.
     */
    static Optional<String> refusal(TokenLimits limits, long requestsInWindow, long tokensInWindow, long tokensTotal) {
        if (limits.maxTokensTotal().isPresent() && tokensTotal >= limits.maxTokensTotal().getAsLong()) {
            return Optional.of(Admission.MAX_TOKENS_TOTAL);
        }
        if (limits.tpm().isPresent() && tokensInWindow >= limits.tpm().getAsLong()) {
            return Optional.of(Admission.TPM);
        }
        if (limits.rpm().isPresent() && requestsInWindow >= limits.rpm().getAsLong()) {
            return Optional.of(Admission.RPM);
        }
        return Optional.empty();
    }

    /**
     * The starts of the UTC hours that overlap {@code [from, to)}, oldest first.
     *
     * @throws IllegalArgumentException when {@code to} is before {@code from}, or there are more
     *     than the retention's hours plus one (a window as long as the retention, not on the hour)
     */
    static List<Instant> hoursOverlapping(Instant from, Instant to, Duration retention) {
        if (to.isBefore(from)) {
            throw new IllegalArgumentException("the report window ends before it starts");
        }
        List<Instant> hours = new ArrayList<>();
        if (to.equals(from)) {
            return hours;
        }
        long maxHours = retention.toHours() + 1;
        long spanned = Duration.between(hourStart(from), to.minusNanos(1)).toHours() + 1;
        if (spanned > maxHours) {
            throw new IllegalArgumentException("the report window spans " + spanned + " hours; usage is kept for "
                    + retention.toHours() + " hours, so a report may span at most " + maxHours);
        }
        for (Instant hour = hourStart(from); hour.isBefore(to); hour = hour.plus(HOUR)) {
            hours.add(hour);
        }
        return hours;
    }

    /** Checks a retention: at least an hour, so the current hour's history is never purged while it is written. */
    static Duration checkRetention(Duration retention) {
        if (retention.compareTo(HOUR) < 0) {
            throw new IllegalArgumentException("usage retention must be at least 1h");
        }
        return retention;
    }
}
