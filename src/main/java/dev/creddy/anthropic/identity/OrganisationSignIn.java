package dev.creddy.anthropic.identity;

import dev.creddy.anthropic.config.DeviceSignInSettings;
import dev.creddy.anthropic.config.Settings;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;
import java.util.Optional;

/**
 * The application's {@link PersonSignIn}: present when the gateway sign-in is on and
 * {@code device-oidc-issuer} names the organisation's provider, created as the application starts and
 * closed when it stops. Thread-safe: set once at start-up.
 */
@ApplicationScoped
public class OrganisationSignIn {

    private volatile Optional<PersonSignIn> provider = Optional.empty();

    /** Runs after the settings exist (they are built by an observer with the default priority). */
    void start(@Observes @Priority(Interceptor.Priority.APPLICATION + 600) @Initialized(ApplicationScoped.class) Object started,
            Settings settings) {
        provider = settings.deviceSignIn().flatMap(DeviceSignInSettings::oidc).map(PersonSignIn::new);
    }

    /** The provider people sign in with at {@code /device}, or empty when they use the container's login. */
    public Optional<PersonSignIn> provider() {
        return provider;
    }

    @PreDestroy
    void stop() {
        provider.ifPresent(PersonSignIn::close);
    }
}
