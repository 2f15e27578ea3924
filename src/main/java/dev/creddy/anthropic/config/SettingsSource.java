package dev.creddy.anthropic.config;

import java.util.Optional;

/**
 * One place settings can come from (JNDI, context parameters, the environment, launcher flags).
 * Implementations must be thread-safe and must not log values.
 */
public interface SettingsSource {

    /** The raw value of {@code setting} here, if this source has one. */
    Optional<String> lookup(Setting setting);

    /** Where {@code setting} is looked up here, for messages: e.g. {@code environment variable CREDDY_MAX_TTL}. */
    String describe(Setting setting);
}
