package dev.creddy.anthropic.config;

import java.util.Map;
import java.util.Optional;

/** Settings from environment variables ({@link Setting#environmentVariable()}). Immutable. */
public final class EnvironmentSettingsSource implements SettingsSource {

    private final Map<String, String> environment;

    public EnvironmentSettingsSource(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
    }

    /** The process environment. */
    public static EnvironmentSettingsSource system() {
        return new EnvironmentSettingsSource(System.getenv());
    }

    @Override
    public Optional<String> lookup(Setting setting) {
        return Optional.ofNullable(environment.get(setting.environmentVariable()));
    }

    @Override
    public String describe(Setting setting) {
        return "environment variable " + setting.environmentVariable();
    }
}
