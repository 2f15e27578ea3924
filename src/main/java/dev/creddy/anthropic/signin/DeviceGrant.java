package dev.creddy.anthropic.signin;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One device authorization (RFC 8628 §3.2) as the store keeps it: the device code only as its digest,
 * the user code the person types or confirms, its expiry, where it stands, who decided it, and when the
 * client may poll next. Immutable: a change is a new value.
 */
public record DeviceGrant(String deviceCodeDigest, String userCode, Instant expiresAt, State state,
        Optional<Person> person, Instant nextPollAt) {

    /** Where a device authorization stands; only {@link #PENDING} may change, once. */
    public enum State {
        PENDING,
        APPROVED,
        DENIED
    }

    /** How often the client may poll the token endpoint. */
    public static final Duration INTERVAL = Duration.ofSeconds(5);

    public DeviceGrant {
        Objects.requireNonNull(deviceCodeDigest, "deviceCodeDigest");
        Objects.requireNonNull(userCode, "userCode");
        Objects.requireNonNull(expiresAt, "expiresAt");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(person, "person");
        Objects.requireNonNull(nextPollAt, "nextPollAt");
    }

    /** This grant decided by {@code person}; only a pending grant can be. */
    DeviceGrant decided(State decision, Person by) {
        if (state != State.PENDING || decision == State.PENDING) {
            throw new IllegalStateException(state + " -> " + decision);
        }
        return new DeviceGrant(deviceCodeDigest, userCode, expiresAt, decision, Optional.of(by), nextPollAt);
    }

    DeviceGrant polled(Instant now) {
        return new DeviceGrant(deviceCodeDigest, userCode, expiresAt, state, person, now.plus(INTERVAL).minusSeconds(1));
    }
}
