package dev.creddy.anthropic.config;

import java.time.Duration;
import java.util.Objects;

/**
 * The operator console at {@code <context>/console/}: whether it is served at all, and how long a
 * console session lasts once an operator has signed in. Immutable.
 *
 * @param enabled whether the console and its session endpoints exist ({@code console=off}: 404)
 * @param sessionTtl how long a console session cookie stays valid after sign-in
 */
public record ConsoleSettings(boolean enabled, Duration sessionTtl) {

    public ConsoleSettings {
        Objects.requireNonNull(sessionTtl, "sessionTtl");
        if (sessionTtl.isNegative() || sessionTtl.isZero()) {
            throw new IllegalArgumentException("a console session must last longer than zero");
        }
    }
}
