package dev.creddy.anthropic.identity;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.ResourceRetriever;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.ConfigurableJWTProcessor;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.creddy.anthropic.config.GoDuration;
import dev.creddy.anthropic.config.OidcSettings;
import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One trusted issuer: its discovery document, its published keys and the processor that checks its
 * tokens. Discovery happens on first use and is retried at most every
 * {@link AgentTokenRefusedException#RETRY_AFTER} while it fails; the keys are cached, fetched again on
 * a schedule ({@code oidc-jwks-refresh}) and when a token names an unknown key id (at most twice in 30
 * seconds, so a stream of made-up key ids cannot hammer the issuer).
 *
 * <p>Thread-safe: discovery runs once under this object's lock; the processor and key source are
 * thread-safe.
 */
final class IssuerKeys implements Closeable {

    private static final Logger LOG = Logger.getLogger(IssuerKeys.class.getName());
    /** RFC 9068 access tokens say {@code at+jwt}; Creddy's and most providers' say {@code JWT} or nothing. */
    private static final JOSEObjectType ACCESS_TOKEN = new JOSEObjectType("at+jwt");
    /** The JWT-SVID specification (§2) allows {@code JOSE} as well as {@code JWT}. */
    private static final JOSEObjectType JOSE = JOSEObjectType.JOSE;
    private static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256);
    private static final Duration UNKNOWN_KEY_REFRESH_INTERVAL = Duration.ofSeconds(30);
    private static final Duration REFRESH_TIMEOUT = Duration.ofSeconds(15);

    private final URI issuer;
    private final OidcSettings settings;
    private final ResourceRetriever retriever;
    private final ExecutorService refresher;
    private final ScheduledExecutorService scheduler;

    private ConfigurableJWTProcessor<SecurityContext> processor;
    private JWKSource<SecurityContext> keys;
    private long lastFailureNanos;
    private boolean failedBefore;

    IssuerKeys(URI issuer, OidcSettings settings, ResourceRetriever retriever, ExecutorService refresher,
            ScheduledExecutorService scheduler) {
        this.issuer = issuer;
        this.settings = settings;
        this.retriever = retriever;
        this.refresher = refresher;
        this.scheduler = scheduler;
    }

    /** The processor for this issuer's tokens, discovering the issuer first if that has not succeeded yet. */
    synchronized ConfigurableJWTProcessor<SecurityContext> processor() throws AgentTokenRefusedException {
        if (processor != null) {
            return processor;
        }
        if (failedBefore && System.nanoTime() - lastFailureNanos < AgentTokenRefusedException.RETRY_AFTER.toNanos()) {
            throw unavailable();
        }
        try {
            URL jwksUrl = discoverKeys();
            keys = keySource(jwksUrl);
            processor = processor(keys);
            LOG.info(() -> "identity: issuer " + issuer + " publishes its keys at " + jwksUrl);
            return processor;
        } catch (IOException | RuntimeException | java.text.ParseException e) {
            failedBefore = true;
            lastFailureNanos = System.nanoTime();
            LOG.warning(() -> "identity: cannot discover issuer " + issuer + " (" + e.getClass().getSimpleName() + ": "
                    + e.getMessage() + "); identity tokens from it are answered with 503 until it can be reached");
            throw unavailable();
        }
    }

    private AgentTokenRefusedException unavailable() {
        return new AgentTokenRefusedException(AgentTokenRefusedException.Kind.UNAVAILABLE,
                "the identity token's issuer cannot be reached to fetch its keys; try again shortly");
    }

    /** The key set URL from the issuer's discovery document ({@link ProviderDiscovery}). */
    private URL discoverKeys() throws IOException, java.text.ParseException {
        return ProviderDiscovery.endpoint(ProviderDiscovery.fetch(issuer, retriever), "jwks_uri");
    }

    private JWKSource<SecurityContext> keySource(URL jwksUrl) {
        long ttl = settings.jwksRefresh().toMillis();
        // Refreshed in the background shortly before the cached set expires, so requests never wait for it.
        long refreshAhead = Math.min(UNKNOWN_KEY_REFRESH_INTERVAL.toMillis(), ttl / 4);
        return JWKSourceBuilder.<SecurityContext>create(jwksUrl, retriever)
                .cache(ttl, REFRESH_TIMEOUT.toMillis())
                .refreshAheadCache(refreshAhead, null, refresher, false, scheduler, false)
                .rateLimited(UNKNOWN_KEY_REFRESH_INTERVAL.toMillis())
                // A short outage of the issuer does not stop agents whose keys are known.
                .outageTolerant(ttl)
                .retrying(false)
                .build();
    }

    private ConfigurableJWTProcessor<SecurityContext> processor(JWKSource<SecurityContext> source) {
        DefaultJWTProcessor<SecurityContext> jwtProcessor = new DefaultJWTProcessor<>();
        jwtProcessor.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(JOSEObjectType.JWT, ACCESS_TOKEN, JOSE, null));
        // Only asymmetric algorithms: "none" is never a signature, and HMAC with the published public key
        // as its secret is the classic forgery.
        jwtProcessor.setJWSKeySelector(new JWSVerificationKeySelector<>(ALGORITHMS, source));
        DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(
                Set.of(settings.audienceFor(issuer.toString())),
                new JWTClaimsSet.Builder().issuer(issuer.toString()).build(), Set.of("iss", "sub", "aud", "exp"), null);
        claims.setMaxClockSkew((int) settings.clockSkew().toSeconds());
        jwtProcessor.setJWTClaimsSetVerifier(claims);
        return jwtProcessor;
    }

    @Override
    public synchronized void close() {
        if (keys instanceof Closeable closeable) {
            try {
                closeable.close();
            } catch (IOException e) {
                LOG.log(Level.FINE, "identity: closing the key source of " + issuer + " failed", e);
            }
        }
    }

    @Override
    public String toString() {
        return "IssuerKeys[" + issuer + ", refresh every " + GoDuration.format(settings.jwksRefresh()) + "]";
    }
}
