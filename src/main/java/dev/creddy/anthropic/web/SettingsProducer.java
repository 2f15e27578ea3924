package dev.creddy.anthropic.web;

import dev.creddy.anthropic.config.EnvironmentSettingsSource;
import dev.creddy.anthropic.config.InvalidSettingsException;
import dev.creddy.anthropic.config.JndiSettingsSource;
import dev.creddy.anthropic.config.Setting;
import dev.creddy.anthropic.config.Settings;
import dev.creddy.anthropic.config.SettingsLoader;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import jakarta.servlet.ServletContext;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * Builds the application's {@link Settings} once, from JNDI, then context parameters, then the
 * environment, and checks them as the application starts, so a wrong value fails the deployment
 * with a message that names it.
 */
@ApplicationScoped
public class SettingsProducer {

    private static final Logger LOG = Logger.getLogger(SettingsProducer.class.getName());
    /**
     * One SEVERE line per wrong setting, on a logger of its own: the standalone launcher prints
     * exactly these lines (and nothing of Tomcat's) when the application does not start.
     */
    private static final Logger PROBLEMS = Logger.getLogger("creddy.settings");

    /**
     * The servlet context attribute that holds {@code shutdown-grace} in milliseconds (a {@code Long}),
     * for the container that runs the application: the standalone launcher sets Tomcat's
     * {@code unloadDelay} from it, because Tomcat times out async requests still running once that
     * delay (2 s by default) has passed, whatever the application would wait for.
     */
    static final String SHUTDOWN_GRACE_ATTRIBUTE = "creddy.shutdown-grace-millis";

    private volatile Settings settings;

    /**
     * Builds the settings as the application starts. The event's payload is the application's
     * {@link ServletContext} (CDI's rule for web applications); an injected {@code ServletContext}
     * would be a request-bound proxy in Weld servlet, unusable at start-up.
     */
    void start(@Observes @Initialized(ApplicationScoped.class) ServletContext servletContext) {
        SettingsLoader loader = new SettingsLoader(List.of(
                new JndiSettingsSource(),
                new ContextParamSettingsSource(servletContext),
                EnvironmentSettingsSource.system()));
        try {
            settings = loader.load();
        } catch (InvalidSettingsException e) {
            e.problems().forEach(PROBLEMS::severe);
            throw e;
        }
        servletContext.setAttribute(SHUTDOWN_GRACE_ATTRIBUTE, settings.shutdownGrace().toMillis());
        LOG.info(() -> "creddy-anthropic started with " + settings);
        // Several mechanisms can provision a setting; say which one won (names only, never values).
        LOG.info(() -> "creddy-anthropic settings from: " + describe(loader.origins()));
        settings.unconfiguredReason().ifPresent(reason -> LOG.warning("not forwarding until configured: " + reason));
    }

    private static String describe(Map<Setting, String> origins) {
        if (origins.isEmpty()) {
            return "defaults only";
        }
        return origins.entrySet().stream().map(origin -> origin.getKey().key() + " <- " + origin.getValue())
                .collect(Collectors.joining("; ")) + "; anything else: its default";
    }

    @Produces
    @Singleton
    Settings settings() {
        Settings built = settings;
        if (built == null) {
            throw new IllegalStateException("settings were asked for before the application started");
        }
        return built;
    }
}
