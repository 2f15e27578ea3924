package dev.creddy.anthropic.signin;

import dev.creddy.anthropic.config.RedisSettings;
import dev.creddy.anthropic.it.support.RedisServer;
import dev.creddy.anthropic.token.ManualClock;
import dev.creddy.anthropic.token.RedisTokenStore;
import dev.creddy.anthropic.token.TokenSecrets;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Every device flow and refresh chain test of {@link DeviceSignInTest}, with the sign-ins in a real redis-server. */
class RedisDeviceSignInTest extends DeviceSignInTest {

    @RegisterExtension
    static final RedisServer REDIS = RedisServer.start();

    private RedisTokenStore link;

    @Override
    SignInStore store(ManualClock clock) {
        try {
            REDIS.call("FLUSHALL");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        link = new RedisTokenStore(new RedisSettings(URI.create(REDIS.url()), Optional.empty(), Duration.ofSeconds(2),
                Duration.ofSeconds(1)), new TokenSecrets(), clock);
        link.start();
        return new RedisSignInStore(link.link(), link.keys(), clock);
    }

    @AfterEach
    void closeLink() {
        link.close();
    }
}
