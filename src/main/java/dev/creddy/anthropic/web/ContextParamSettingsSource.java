package dev.creddy.anthropic.web;

import dev.creddy.anthropic.config.Setting;
import dev.creddy.anthropic.config.SettingsSource;
import jakarta.servlet.ServletContext;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Settings from servlet context parameters named {@code creddy.<name>} (web.xml, or the launcher's
 * flags). The standalone launcher lists the settings its user gave as flags in {@value #FROM_FLAGS},
 * so a message names {@code flag --max-ttl}, what the user typed, not a context parameter they never
 * saw. Immutable.
 */
final class ContextParamSettingsSource implements SettingsSource {

    /** Comma-separated setting names whose context parameter the launcher set from a flag. */
    static final String FROM_FLAGS = "creddy.from-flags";

    private final ServletContext context;
    private final Set<String> fromFlags;

    ContextParamSettingsSource(ServletContext context) {
        this.context = context;
        String listed = context.getInitParameter(FROM_FLAGS);
        this.fromFlags = listed == null ? Set.of()
                : Arrays.stream(listed.split(",")).map(String::strip).collect(Collectors.toUnmodifiableSet());
    }

    @Override
    public Optional<String> lookup(Setting setting) {
        return Optional.ofNullable(context.getInitParameter(setting.contextParameter()));
    }

    @Override
    public String describe(Setting setting) {
        if (setting.flag() != null && fromFlags.contains(setting.key())) {
            return "flag " + setting.flag();
        }
        return "context parameter " + setting.contextParameter();
    }
}
