package dev.creddy.anthropic.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.SignedJWT;
import dev.creddy.anthropic.config.OidcSettings;
import dev.creddy.anthropic.it.support.FakeOidcProvider;
import dev.creddy.anthropic.token.AgentIdentity;
import dev.creddy.anthropic.token.IdentityPolicy;
import dev.creddy.anthropic.token.TokenLimits;
import dev.creddy.anthropic.token.TokenRecord;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The verifier on its own, against the in-test provider: what a genuine token proves (claims,
 * scopes, policy limits, the record of direct use), ES256 keys, and claim mappings. The refusals are
 * table-tested through the deployed WAR in {@code AgentIdentityAttacksIT}.
 */
@Timeout(30)
class AgentTokenVerifierTest {

    private static final FakeOidcProvider CREDDY = FakeOidcProvider.start();
    private static final IdentityPolicy POLICY = IdentityPolicy.parse(
            "{\"agent:researcher\":{\"rpm\":5,\"models\":[\"claude-haiku\"]},\"scope:anthropic:claude\":{\"tpm\":1000}}");

    /** default-limits: what a rule leaves out, and what an identity no rule names gets. */
    private static final TokenLimits DEFAULTS = TokenLimits.fromJson("{\"tpm\":99,\"max_tokens_total\":5000}");

    @AfterAll
    static void stop() {
        CREDDY.close();
    }

    private static AgentTokenVerifier verifier(String agentClaim, Optional<String> scopesClaim) {
        return new AgentTokenVerifier(new OidcSettings(List.of(URI.create(CREDDY.issuer())), FakeOidcProvider.AUDIENCE,
                "anthropic", agentClaim, scopesClaim, Duration.ofSeconds(60), Duration.ofHours(1), true, POLICY),
                DEFAULTS, Clock.systemUTC());
    }

    @Test
    void aGenuineTokenProvesItsAgentItsIdentityAndItsLimits() throws Exception {
        try (AgentTokenVerifier verifier = verifier("agent_name", Optional.empty())) {
            String jwt = CREDDY.mint("researcher", c -> c.claim("scopes", List.of("read", "anthropic:claude"))
                    .claim("task_id", "task-1").claim("parent_agent_id", 7).claim("ip_restriction", "10.0.0.0/8"));
            VerifiedAgent agent = verifier.verify(jwt);
            assertEquals("researcher", agent.agentName());
            assertEquals(new AgentIdentity(CREDDY.issuer(), "agent-researcher", "task-1", "7", List.of("anthropic:claude"),
                    "10.0.0.0/8"), agent.identity());
            assertEquals(OptionalLong.of(5), agent.limits().rpm(), "the agent's own rule wins over its scope's");
            assertEquals(List.of("claude-haiku"), agent.limits().models());
            assertEquals(OptionalLong.of(99), agent.limits().tpm(), "what the rule leaves out comes from default-limits");

            VerifiedAgent writer = verifier.verify(CREDDY.mint("writer", c -> c.claim("scopes", List.of("anthropic:claude"))));
            assertEquals(OptionalLong.of(1000), writer.limits().tpm());
            VerifiedAgent plain = verifier.verify(CREDDY.mint("plain", c -> c));
            assertEquals(OptionalLong.of(5000), writer.limits().maxTokensTotal());
            assertEquals(DEFAULTS, plain.limits());

            Instant now = Instant.parse("2026-11-26T10:00:00Z");
            TokenRecord direct = AgentIdentities.directRecord(jwt, agent, now);
            assertEquals(direct.id(), AgentIdentities.directRecord(jwt, agent, now.plusSeconds(5)).id());
            assertTrue(direct.id().value().matches("tok_[A-Za-z0-9_-]{16}"));
            assertEquals(agent.limits(), direct.limits(), "direct use gets the same limits as an exchanged token");
            assertEquals(Optional.of(agent.identity()), direct.identity());
        }
    }

    @Test
    void es256KeysAreAccepted() throws Exception {
        ECKey ec = new ECKeyGenerator(Curve.P_256).keyID("ec-1").generate();
        CREDDY.publish(ec.toPublicJWK());
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("ec-1").build(),
                CREDDY.claims("ec-agent").build());
        jwt.sign(new ECDSASigner(ec));
        try (AgentTokenVerifier verifier = verifier("agent_name", Optional.empty())) {
            assertEquals("ec-agent", verifier.verify(jwt.serialize()).agentName());
        }
    }

    @Test
    void claimMappingsFollowTheSettings() throws Exception {
        try (AgentTokenVerifier verifier = verifier("azp", Optional.of("scp"))) {
            VerifiedAgent agent = verifier.verify(CREDDY.mint("ignored", c -> c.claim("azp", "keycloak-client")
                    .claim("scopes", null).claim("scp", "openid anthropic profile")));
            assertEquals("keycloak-client", agent.agentName());
            assertEquals(List.of("anthropic"), agent.identity().scopes());

            AgentTokenRefusedException refused = assertThrows(AgentTokenRefusedException.class,
                    () -> verifier.verify(CREDDY.mint("x", c -> c)), "scopes is not the configured claim");
            assertEquals(AgentTokenRefusedException.Kind.FORBIDDEN, refused.kind());
        }
        try (AgentTokenVerifier verifier = verifier("agent_name", Optional.empty())) {
            VerifiedAgent spaced = verifier.verify(CREDDY.mint("spaced", c -> c.claim("scopes", null)
                    .claim("scope", "openid anthropic:claude")));
            assertEquals(List.of("anthropic:claude"), spaced.identity().scopes());
        }
    }
}
