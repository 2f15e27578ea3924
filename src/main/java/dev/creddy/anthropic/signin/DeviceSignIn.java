package dev.creddy.anthropic.signin;

import dev.creddy.anthropic.config.DeviceSignInSettings;
import dev.creddy.anthropic.config.Settings;
import dev.creddy.anthropic.token.AgentIdentity;
import dev.creddy.anthropic.token.ConfiguredTokenRegistry;
import dev.creddy.anthropic.token.AgentNames;
import dev.creddy.anthropic.token.IssuedToken;
import dev.creddy.anthropic.token.TokenGrant;
import dev.creddy.anthropic.token.TokenId;
import dev.creddy.anthropic.token.TokenRecord;
import dev.creddy.anthropic.token.TokenRegistry;
import dev.creddy.anthropic.token.TokenSecrets;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;

/**
 * Claude Code's gateway sign-in, the OAuth side: device authorizations (RFC 8628), their approval by a
 * person, and the token endpoint's two grants. Access tokens are ordinary {@code crd_} tokens issued
 * through the {@link TokenRegistry} (hashed, listed, revocable, limited by {@code oidc-policy}); refresh
 * tokens are rotated on every use, stored only as digests, and a reused one ends its whole chain (RFC
 * 9700 §4.14.2). A chain also ends at {@code device-session-max}, and at the first refresh after its
 * access token was revoked through the API: that is how a person's access is taken away.
 *
 * <p>Thread-safe: the store makes each step atomic; a refresh takes the store's rotation as its commit
 * point, so two refreshes racing with one refresh token cannot both succeed.
 */
@ApplicationScoped
public class DeviceSignIn {

    /** RFC 8628 §6.1: consonants only, no vowels to spell words, none that look alike. */
    private static final String USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ";
    static final Duration CODE_LIFETIME = Duration.ofMinutes(10);
    private static final String REFRESH_PREFIX = "crr_";
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();

    /** What the token endpoint answers, in RFC 8628 §3.5 and RFC 6749 §5 terms. */
    public sealed interface Outcome {
        /** Tokens for the client. */
        record Tokens(IssuedToken access, Duration expiresIn, String refreshToken) implements Outcome {
            @Override
            public String toString() {
                return "Tokens[" + access.record().id() + "]";
            }
        }

        /** An OAuth error: {@code code} such as {@code authorization_pending}, and the status to send it with. */
        record Refused(int status, String code, String description) implements Outcome {
        }
    }

    /** A new device authorization: the secret device code (for the client only) and the user code. */
    public record Started(String deviceCode, String userCode, Duration expiresIn) {
        @Override
        public String toString() {
            return "Started[" + userCode + "]";
        }
    }

    private final SecureRandom random = new SecureRandom();
    private final SignInStore store;
    private final TokenRegistry registry;
    private final Settings settings;
    private final Clock clock;

    /**
     * The application's sign-in: its store in the token store's Redis when the token store is Redis (a
     * refresh then works on any instance and survives a restart), else in this instance's memory.
     */
    @Inject
    public DeviceSignIn(TokenRegistry registry, ConfiguredTokenRegistry configured, Settings settings) {
        this(configured.redisLink().<SignInStore>map(link -> new RedisSignInStore(link, configured.redisKeys().orElseThrow(),
                Clock.systemUTC())).orElseGet(MemorySignInStore::new), registry, settings, Clock.systemUTC());
    }

    public DeviceSignIn(SignInStore store, TokenRegistry registry, Settings settings, Clock clock) {
        this.store = store;
        this.registry = registry;
        this.settings = settings;
        this.clock = clock;
    }

    /** For CDI's proxy only. */
    protected DeviceSignIn() {
        this.store = null;
        this.registry = null;
        this.settings = null;
        this.clock = null;
    }

    /** The settings, or empty when {@code device-sign-in} is off. */
    public Optional<DeviceSignInSettings> settings() {
        return settings.deviceSignIn();
    }

    /** Starts a device authorization; empty when too many are pending. */
    public Optional<Started> start() {
        Instant now = clock.instant();
        for (int attempt = 0; attempt < 5; attempt++) {
            String deviceCode = newSecret("");
            String userCode = newUserCode();
            DeviceGrant grant = new DeviceGrant(TokenSecrets.digest(deviceCode), userCode, now.plus(CODE_LIFETIME),
                    DeviceGrant.State.PENDING, Optional.empty(), now);
            if (store.addGrant(grant, now)) {
                return Optional.of(new Started(deviceCode, userCode, CODE_LIFETIME));
            }
        }
        return Optional.empty();
    }

    /** A typed user code in its canonical form ({@code WDJB-MJHT}), or empty when it cannot be one. */
    public static Optional<String> normalizeUserCode(String typed) {
        if (typed == null) {
            return Optional.empty();
        }
        StringBuilder code = new StringBuilder();
        for (char c : typed.toUpperCase(Locale.ROOT).toCharArray()) {
            if (USER_CODE_ALPHABET.indexOf(c) >= 0) {
                code.append(c);
            } else if (c != '-' && c != ' ') {
                return Optional.empty();
            }
        }
        return code.length() == 8 ? Optional.of(code.substring(0, 4) + "-" + code.substring(4)) : Optional.empty();
    }

    /** Whether {@code userCode} names a sign-in waiting for a decision. */
    public boolean isPending(String userCode) {
        return store.grantByUserCode(userCode).filter(g -> g.state() == DeviceGrant.State.PENDING
                && g.expiresAt().isAfter(clock.instant())).isPresent();
    }

    /** Approves or denies the pending sign-in {@code userCode} as {@code person}; false when none is pending. */
    public boolean decide(String userCode, boolean approve, Person person) {
        return store.decide(userCode, approve ? DeviceGrant.State.APPROVED : DeviceGrant.State.DENIED, person, clock.instant());
    }

    /** The device-code grant (RFC 8628 §3.4, §3.5). */
    public Outcome exchangeDeviceCode(String deviceCode) {
        Instant now = clock.instant();
        String digest = TokenSecrets.digest(deviceCode);
        Optional<DeviceGrant> polled = store.poll(digest, now);
        if (polled.isEmpty()) {
            return new Outcome.Refused(400, "invalid_grant", "unknown device_code (it is single-use)");
        }
        DeviceGrant grant = polled.get();
        if (!grant.expiresAt().isAfter(now)) {
            store.removeGrant(digest);
            return new Outcome.Refused(400, "expired_token", "the sign-in code expired before it was approved; sign in again");
        }
        return switch (grant.state()) {
            case PENDING -> now.isBefore(grant.nextPollAt())
                    ? new Outcome.Refused(400, "slow_down", "poll at most every " + DeviceGrant.INTERVAL.toSeconds() + " seconds")
                    : new Outcome.Refused(400, "authorization_pending", "waiting for the sign-in to be approved");
            case DENIED -> {
                store.removeGrant(digest);
                yield new Outcome.Refused(400, "access_denied", "the sign-in was denied");
            }
            case APPROVED -> {
                store.removeGrant(digest);
                yield startSession(grant.person().orElseThrow(), now);
            }
        };
    }

    private Outcome startSession(Person person, Instant now) {
        DeviceSignInSettings config = settings.deviceSignIn().orElseThrow();
        Instant endsAt = now.truncatedTo(ChronoUnit.SECONDS).plus(config.sessionMax());
        String refresh = newSecret(REFRESH_PREFIX);
        Issued access = issueAccess(person, now, endsAt);
        SignInSession session = new SignInSession(UUID.randomUUID().toString(), person, endsAt, access.token.record().id(),
                access.token.record().expiresAt(), TokenSecrets.digest(refresh));
        store.putSession(session, Optional.empty());
        return new Outcome.Tokens(access.token, access.ttl, refresh);
    }

    /** The refresh grant (RFC 6749 §6), rotating the refresh token. */
    public Outcome refresh(String refreshToken) {
        Instant now = clock.instant();
        String digest = TokenSecrets.digest(refreshToken);
        Optional<SignInSession> found = store.sessionByRefresh(digest);
        if (found.isEmpty()) {
            return invalidGrant("the refresh token is not valid (unknown, or its sign-in ended); sign in again");
        }
        SignInSession session = found.get();
        if (!session.refreshDigest().equals(digest)) {
            // A refresh token that was already used: someone holds a copy. End the chain for both.
            endChain(session);
            return invalidGrant("the refresh token was already used, so the sign-in was ended; sign in again");
        }
        if (!session.endsAt().isAfter(now)) {
            endChain(session);
            return invalidGrant("the sign-in reached its maximum lifetime (device-session-max); sign in again");
        }
        if (session.accessExpiresAt().isAfter(now) && !isLive(session.accessTokenId())) {
            // Revoked through the API before it expired: the person's access was taken away.
            endChain(session);
            return invalidGrant("the sign-in's token was revoked; sign in again");
        }
        String next = newSecret(REFRESH_PREFIX);
        Issued access = issueAccess(session.person(), now, session.endsAt());
        SignInSession rotated = new SignInSession(session.chainId(), session.person(), session.endsAt(),
                access.token.record().id(), access.token.record().expiresAt(), TokenSecrets.digest(next));
        if (!store.putSession(rotated, Optional.of(digest))) {
            // Another refresh with the same token won the race: this one is the reuse.
            registry.revoke(access.token.record().id());
            store.sessionByRefresh(digest).ifPresent(this::endChain);
            return invalidGrant("the refresh token was already used, so the sign-in was ended; sign in again");
        }
        // The previous access token is left to expire (it is near its end): requests the client sent with it
        // while this refresh was on its way must not fail.
        return new Outcome.Tokens(access.token, access.ttl, next);
    }

    /** RFC 7009: ends the session of a refresh token, or of the access token with {@code id}. */
    public void revokeRefresh(String refreshToken) {
        store.sessionByRefresh(TokenSecrets.digest(refreshToken)).ifPresent(this::endChain);
    }

    /** Ends the session whose current access token is {@code id}, if any. */
    public void revokeAccess(TokenId id) {
        store.sessionByAccessToken(id).ifPresent(this::endChain);
    }

    /**
     * Ends every sign-in of the person with {@code subject} (and {@code issuer}, when given): their next
     * refresh is refused. Their access tokens are revoked by whoever calls this, with the registry's
     * {@link TokenRegistry#revokeSubject}.
     *
     * @return how many sign-ins it ended
     */
    public int endSessionsOf(String subject, Optional<String> issuer) {
        int ended = 0;
        for (SignInSession session : store.sessionsOf(subject)) {
            if (issuer.map(session.person().issuer()::equals).orElse(true)) {
                endChain(session);
                ended++;
            }
        }
        return ended;
    }

    private void endChain(SignInSession session) {
        store.end(session.chainId());
        registry.revoke(session.accessTokenId());
    }

    private static Outcome invalidGrant(String description) {
        // The protocol: 401 invalid_grant is the client's cue to sign in again.
        return new Outcome.Refused(401, "invalid_grant", description);
    }

    private record Issued(IssuedToken token, Duration ttl) {
    }

    private Issued issueAccess(Person person, Instant now, Instant sessionEnds) {
        DeviceSignInSettings config = settings.deviceSignIn().orElseThrow();
        Duration left = Duration.between(now, sessionEnds).truncatedTo(ChronoUnit.SECONDS);
        Duration ttl = config.accessTtl().compareTo(left) < 0 ? config.accessTtl() : left;
        if (ttl.getSeconds() < 1) {
            ttl = Duration.ofSeconds(1);
        }
        String agent = AgentNames.check("the person's name", person.name());
        AgentIdentity identity = new AgentIdentity(person.issuer(), person.subject(), null, null, List.of(), null,
                person.groups());
        IssuedToken token = registry.issue(new TokenGrant(agent, ttl,
                config.policy().limitsFor(agent, List.of(), person.groups()).orElse(settings.defaultLimits()),
                Optional.of(identity)));
        return new Issued(token, ttl);
    }

    /** Whether the token with {@code id} is still live, by the registry's listing (once per refresh, about hourly). */
    private boolean isLive(TokenId id) {
        Optional<TokenId> after = Optional.empty();
        while (true) {
            List<TokenRecord> page = registry.list(1000, after);
            for (TokenRecord record : page) {
                if (record.id().equals(id)) {
                    return true;
                }
            }
            if (page.size() < 1000) {
                return false;
            }
            after = Optional.of(page.get(page.size() - 1).id());
        }
    }

    private String newSecret(String prefix) {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return prefix + BASE64URL.encodeToString(bytes);
    }

    private String newUserCode() {
        StringBuilder code = new StringBuilder(9);
        for (int i = 0; i < 8; i++) {
            if (i == 4) {
                code.append('-');
            }
            code.append(USER_CODE_ALPHABET.charAt(random.nextInt(USER_CODE_ALPHABET.length())));
        }
        return code.toString();
    }
}
