package dev.creddy.anthropic.web;

import dev.creddy.anthropic.config.Setting;
import dev.creddy.anthropic.config.SettingsSource;
import jakarta.servlet.ServletContext;
import java.util.Optional;

/** Settings from servlet context parameters named {@code creddy.<name>} (web.xml, or the launcher's flags). */
final class ContextParamSettingsSource implements SettingsSource {

    private final ServletContext context;

    ContextParamSettingsSource(ServletContext context) {
        this.context = context;
    }

    @Override
    public Optional<String> lookup(Setting setting) {
        return Optional.ofNullable(context.getInitParameter(name(setting)));
    }

    @Override
    public String describe(Setting setting) {
        return "context parameter " + name(setting);
    }

    private static String name(Setting setting) {
        return "creddy." + setting.key();
    }
}
