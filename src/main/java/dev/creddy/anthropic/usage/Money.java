package dev.creddy.anthropic.usage;

import java.math.BigDecimal;

/**
 * US dollars as whole micro-dollars ({@code long}, US$ 10^-6), the one unit every cost, budget and
 * reservation is kept in, so that sums are exact (never doubles). Stateless.
 */
public final class Money {

    /** The largest amount a budget may name: US$ 10^9, well inside every sum's bound. */
    public static final long MAX_MICROS = 1_000_000_000_000_000L;

    private Money() {
    }

    /**
     * Dollars as micro-dollars.
     *
     * @throws IllegalArgumentException when the amount is not above zero, has more than six decimals or
     *     is over US$ 10^9
     */
    public static long micros(BigDecimal dollars) {
        if (dollars.signum() < 1 || dollars.compareTo(BigDecimal.valueOf(MAX_MICROS).movePointLeft(6)) > 0) {
            throw new IllegalArgumentException("must be an amount of US dollars above 0 and at most 1000000000");
        }
        try {
            return dollars.movePointRight(6).longValueExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("must have at most six decimals (a micro-dollar)");
        }
    }

    /** Micro-dollars as a decimal number of dollars with six decimals, e.g. {@code 0.012345}. */
    public static BigDecimal dollars(long micros) {
        return BigDecimal.valueOf(micros, 6);
    }
}
