package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.config.AuthenticationConfig;
import com.anthropic.config.AuthenticationType;
import com.anthropic.config.IdentityTokenConfig;
import com.anthropic.config.InMemoryProfileConfigProvider;
import com.anthropic.config.ProfileConfig;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jwt.JWTClaimsSet;
import dev.creddy.anthropic.it.support.FakeAnthropic;
import dev.creddy.anthropic.it.support.FakeOidcProvider;
import dev.creddy.anthropic.it.support.LogCapture;
import dev.creddy.anthropic.it.support.ProxyHttp;
import dev.creddy.anthropic.it.support.ProxyWar;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.StringReader;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.UnaryOperator;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Workload identities exchanged for {@code crd_} tokens: tokens without any scope, from three in-test
 * issuers shaped like the real ones (claims as each documents them, keys where each publishes them,
 * found through discovery), admitted by {@code oidc-policy} claim rules under each issuer's own
 * audience. A token from another repository, namespace or trust domain, an expired one and one for
 * another audience are refused; the agent name built from claims can never forge an audit line.
 */
@ExtendWith(ArquillianExtension.class)
@Timeout(60)
class WorkloadIdentityIT {

    private static final FakeAnthropic UPSTREAM = FakeAnthropic.shared();
    /** A Kubernetes API server's service-account issuer: keys at /openid/v1/jwks. */
    private static final FakeOidcProvider KUBERNETES = FakeOidcProvider.startWithKeysAt("/openid/v1/jwks");
    /** GitHub Actions' OIDC issuer: keys at /.well-known/jwks. */
    private static final FakeOidcProvider GITHUB = FakeOidcProvider.startWithKeysAt("/.well-known/jwks");
    /** SPIRE's OIDC discovery provider for a trust domain: keys at /keys. */
    private static final FakeOidcProvider SPIFFE = FakeOidcProvider.startWithKeysAt("/keys");
    /** A Creddy server: no options, so its tokens still need the anthropic scope. */
    private static final FakeOidcProvider CREDDY = FakeOidcProvider.start();

    private static final String K8S_AUDIENCE = "creddy-anthropic.ml-cluster";
    private static final String GITHUB_AUDIENCE = "https://github.com/acme";

    @Deployment(testable = false)
    static WebArchive proxy() {
        Map<String, String> settings = CREDDY.proxySettings();
        settings.put("oidc-issuer", String.join(",", KUBERNETES.issuer(), GITHUB.issuer(), SPIFFE.issuer(), CREDDY.issuer()));
        settings.put("oidc-issuer-options", "{\"" + KUBERNETES.issuer() + "\":{\"audience\":\"" + K8S_AUDIENCE
                + "\",\"required_scope\":false},\"" + GITHUB.issuer() + "\":{\"audience\":\"" + GITHUB_AUDIENCE
                + "\",\"required_scope\":false},\"" + SPIFFE.issuer() + "\":{\"required_scope\":false}}");
        settings.put("oidc-policy", "[{\"match\":{\"iss\":\"" + GITHUB.issuer() + "\",\"repository\":\"acme/*\","
                + "\"ref\":\"refs/heads/main\",\"repository_owner\":\"acme\"},\"agent\":\"gh:${repository}@${ref}\","
                + "\"limits\":{\"rpm\":30}},"
                + "{\"match\":{\"iss\":\"" + KUBERNETES.issuer() + "\",\"kubernetes.io\":{\"namespace\":\"ml\","
                + "\"serviceaccount\":{\"name\":[\"trainer\",\"evaluator\"]}}},"
                + "\"agent\":\"k8s:${kubernetes.io/namespace}/${kubernetes.io/serviceaccount/name}\","
                + "\"limits\":{\"models\":[\"claude-haiku\"]}},"
                + "{\"match\":{\"iss\":\"" + SPIFFE.issuer() + "\",\"sub\":\"spiffe://example.org/ns/prod/*\"}},"
                + "{\"agent:spiffe://example.org/ns/prod/sa/summarizer\":{\"tpm\":9000}}]");
        return ProxyWar.withSettings("workload-identity.war", settings);
    }

    @AfterAll
    static void stopProviders() {
        KUBERNETES.close();
        GITHUB.close();
        SPIFFE.close();
        CREDDY.close();
    }

    @ArquillianResource
    URL base;

    private ProxyHttp http;
    private LogCapture logs;

    @BeforeEach
    void connect() {
        UPSTREAM.reset();
        http = new ProxyHttp(base);
        logs = LogCapture.start();
    }

    @AfterEach
    void stopCapture() {
        logs.close();
    }

    private static JsonObject json(String body) {
        return Json.createReader(new StringReader(body)).readObject();
    }

    private HttpResponse<String> exchange(String jwt) throws Exception {
        return http.send(http.request("/v1/tokens").header("Authorization", "Bearer " + jwt)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build());
    }

    private static JWTClaimsSet.Builder standard(FakeOidcProvider issuer, String audience, String subject) {
        Instant now = Instant.now();
        return new JWTClaimsSet.Builder().issuer(issuer.issuer()).subject(subject).audience(audience)
                .issueTime(Date.from(now)).notBeforeTime(Date.from(now))
                .expirationTime(Date.from(now.plus(Duration.ofMinutes(10)))).jwtID(UUID.randomUUID().toString());
    }

    /**
     * A GitHub Actions OIDC token, claims as GitHub documents them ("About security hardening with
     * OpenID Connect"): {@code sub} {@code repo:<owner>/<repo>:ref:<ref>}, the repository, owner, ids,
     * ref, sha, workflow, actor, run and event, under a header with {@code typ: JWT}.
     */
    private static String github(String repository, String ref, UnaryOperator<JWTClaimsSet.Builder> adjust) {
        String owner = repository.substring(0, Math.max(repository.indexOf('/'), 0));
        JWTClaimsSet.Builder claims = standard(GITHUB, GITHUB_AUDIENCE, "repo:" + repository + ":ref:" + ref)
                .claim("ref", ref).claim("ref_type", "branch").claim("sha", "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678")
                .claim("repository", repository).claim("repository_owner", owner).claim("repository_id", "654321")
                .claim("repository_owner_id", "123456").claim("repository_visibility", "private")
                .claim("run_id", "9876543210").claim("run_number", "42").claim("run_attempt", "1")
                .claim("actor", "octocat").claim("actor_id", "583231").claim("workflow", "ci")
                .claim("workflow_ref", repository + "/.github/workflows/ci.yml@" + ref)
                .claim("job_workflow_ref", repository + "/.github/workflows/ci.yml@" + ref)
                .claim("event_name", "push").claim("runner_environment", "github-hosted");
        return GITHUB.sign(adjust.apply(claims).build(), JOSEObjectType.JWT);
    }

    /**
     * A projected service-account token, claims as Kubernetes documents them (TokenRequest API and
     * the service-account token docs): {@code sub} {@code system:serviceaccount:<ns>:<name>}, the nested
     * {@code kubernetes.io} claim with the namespace, pod, service account and node, and a header
     * without {@code typ}.
     */
    private static String kubernetes(String namespace, String serviceAccount, UnaryOperator<JWTClaimsSet.Builder> adjust) {
        JWTClaimsSet.Builder claims = standard(KUBERNETES, K8S_AUDIENCE, "system:serviceaccount:" + namespace + ":" + serviceAccount)
                .claim("kubernetes.io", Map.of(
                        "namespace", namespace,
                        "pod", Map.of("name", serviceAccount + "-7d4b9c-x2x9k", "uid", "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"),
                        "serviceaccount", Map.of("name", serviceAccount, "uid", "f0e9d8c7-b6a5-4938-2716-05f4e3d2c1b0"),
                        "node", Map.of("name", "node-1", "uid", "11111111-2222-3333-4444-555555555555")));
        return KUBERNETES.sign(adjust.apply(claims).build(), null);
    }

    /** A JWT-SVID (SPIFFE JWT-SVID standard §3): {@code sub} the SPIFFE ID, {@code aud}, {@code exp}; {@code typ: JOSE}. */
    private static String spiffe(String spiffeId, UnaryOperator<JWTClaimsSet.Builder> adjust) {
        return SPIFFE.sign(adjust.apply(standard(SPIFFE, FakeOidcProvider.AUDIENCE, spiffeId)).build(), JOSEObjectType.JOSE);
    }

    @Test
    void aGithubActionsJobOfTheRepositoryGetsAToken() throws Exception {
        String jwt = github("acme/app", "refs/heads/main", c -> c);
        HttpResponse<String> issued = exchange(jwt);
        assertEquals(201, issued.statusCode(), issued.body());
        JsonObject token = json(issued.body());
        assertEquals("gh:acme/app@refs/heads/main", token.getString("agent_name"));
        assertEquals(30, token.getInt("rpm"), "the claim rule's limits");
        assertEquals(GITHUB.issuer(), token.getJsonObject("identity").getString("issuer"));
        assertEquals("repo:acme/app:ref:refs/heads/main", token.getJsonObject("identity").getString("subject"));
        assertTrue(token.getJsonObject("identity").getJsonArray("scopes").isEmpty(), token.toString());

        AnthropicClient sdk = AnthropicOkHttpClient.builder().baseUrl(http.base()).apiKey(token.getString("token"))
                .maxRetries(0).timeout(Duration.ofSeconds(20)).build();
        sdk.messages().create(MessageCreateParams.builder().model("claude-sonnet-4-5").maxTokens(16L).addUserMessage("Hi")
                .build());
        assertEquals(ProxyWar.REAL_KEY, UPSTREAM.takeRequest().header("x-api-key"));
    }

    @Test
    void aKubernetesServiceAccountOfTheNamespaceGetsAToken() throws Exception {
        HttpResponse<String> issued = exchange(kubernetes("ml", "evaluator", c -> c));
        assertEquals(201, issued.statusCode(), issued.body());
        JsonObject token = json(issued.body());
        assertEquals("k8s:ml/evaluator", token.getString("agent_name"));
        assertEquals(List.of("claude-haiku"), token.getJsonArray("models").getValuesAs(jakarta.json.JsonString::getString));
        assertEquals("system:serviceaccount:ml:evaluator", token.getJsonObject("identity").getString("subject"));
    }

    @Test
    void aSpiffeWorkloadOfTheTrustDomainPathGetsAToken() throws Exception {
        HttpResponse<String> issued = exchange(spiffe("spiffe://example.org/ns/prod/sa/summarizer", c -> c));
        assertEquals(201, issued.statusCode(), issued.body());
        JsonObject token = json(issued.body());
        assertEquals("spiffe://example.org/ns/prod/sa/summarizer", token.getString("agent_name"),
                "a rule without agent names it by sub");
        assertEquals(9000, token.getInt("tpm"), "a rule without limits leaves them to the agent: rule");
    }

    /** Genuine tokens, correctly signed, that no rule admits or that are not for this proxy. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "github: another owner's repository|github-other-repo|403|no oidc-policy rule admits",
            "github: another branch|github-other-ref|403|no oidc-policy rule admits",
            "github: expired|github-expired|401|it has expired (exp)",
            "github: the default audience, not GitHub's own|github-wrong-aud|401|not meant for this proxy (aud)",
            "kubernetes: another namespace|k8s-other-namespace|403|no oidc-policy rule admits",
            "kubernetes: another service account|k8s-other-account|403|no oidc-policy rule admits",
            "kubernetes: expired|k8s-expired|401|it has expired (exp)",
            "kubernetes: another cluster's audience|k8s-wrong-aud|401|not meant for this proxy (aud)",
            "spiffe: another path of the trust domain|spiffe-other-path|403|no oidc-policy rule admits",
            "spiffe: another trust domain|spiffe-other-domain|403|no oidc-policy rule admits",
            "spiffe: expired|spiffe-expired|401|it has expired (exp)",
            "spiffe: another audience|spiffe-wrong-aud|401|not meant for this proxy (aud)",
            "creddy: no scope and no claim rule|creddy-no-scope|403|does not grant the scope",
            "github: a claim rule of another issuer does not apply|github-claims-from-creddy|403|does not grant the scope",
    })
    void tokensNoRuleAdmitsAreRefused(String name, String shape, int status, String message) throws Exception {
        Instant past = Instant.now().minus(Duration.ofMinutes(10));
        UnaryOperator<JWTClaimsSet.Builder> expired = c -> c.issueTime(Date.from(past.minusSeconds(600)))
                .notBeforeTime(Date.from(past.minusSeconds(600))).expirationTime(Date.from(past));
        String jwt = switch (shape) {
            case "github-other-repo" -> github("evil/app", "refs/heads/main", c -> c);
            case "github-other-ref" -> github("acme/app", "refs/heads/feature", c -> c);
            case "github-expired" -> github("acme/app", "refs/heads/main", expired);
            case "github-wrong-aud" -> github("acme/app", "refs/heads/main", c -> c.audience(FakeOidcProvider.AUDIENCE));
            case "k8s-other-namespace" -> kubernetes("default", "trainer", c -> c);
            case "k8s-other-account" -> kubernetes("ml", "admin", c -> c);
            case "k8s-expired" -> kubernetes("ml", "trainer", expired);
            case "k8s-wrong-aud" -> kubernetes("ml", "trainer", c -> c.audience("creddy-anthropic.other-cluster"));
            case "spiffe-other-path" -> spiffe("spiffe://example.org/ns/dev/sa/summarizer", c -> c);
            case "spiffe-other-domain" -> spiffe("spiffe://evil.example/ns/prod/sa/summarizer", c -> c);
            case "spiffe-expired" -> spiffe("spiffe://example.org/ns/prod/sa/summarizer", expired);
            case "spiffe-wrong-aud" -> spiffe("spiffe://example.org/ns/prod/sa/summarizer", c -> c.audience(K8S_AUDIENCE));
            case "creddy-no-scope" -> CREDDY.mint("scopeless", c -> c.claim("scopes", null));
            case "github-claims-from-creddy" -> CREDDY.mint("copycat", c -> c.claim("scopes", null)
                    .claim("repository", "acme/app").claim("ref", "refs/heads/main").claim("repository_owner", "acme"));
            default -> throw new IllegalArgumentException(shape);
        };
        HttpResponse<String> refused = exchange(jwt);
        assertEquals(status, refused.statusCode(), refused.body());
        JsonObject error = json(refused.body());
        assertEquals("error", error.getString("type"));
        assertTrue(error.getJsonObject("error").getString("message").contains(message), refused.body());
        assertFalse(refused.body().contains(jwt.substring(10)), "the token is never quoted");
    }

    /**
     * The official SDK configured for Anthropic's workload identity federation (a profile with an
     * identity token file, a federation rule, organization and service account) and the proxy as its
     * base URL: it exchanges the token at {@code /v1/oauth/token}, gets a {@code crd_} token and uses it.
     */
    @Test
    void theSdkConfiguredForFederationGetsACrdTokenFromTheProxy(@TempDir Path scratch) throws Exception {
        Path identityToken = scratch.resolve("github-oidc-token");
        Files.writeString(identityToken, github("acme/app", "refs/heads/main", c -> c) + "\n");
        AnthropicClient sdk = AnthropicOkHttpClient.builder().maxRetries(0).timeout(Duration.ofSeconds(20))
                .configurationProvider(InMemoryProfileConfigProvider.of(ProfileConfig.builder()
                        .baseUrl(http.base())
                        .organizationId("00000000-0000-4000-8000-000000000000")
                        .authentication(AuthenticationConfig.builder().type(AuthenticationType.OIDC_FEDERATION)
                                .federationRuleId("fdrl_01creddy").serviceAccountId("svac_01creddy")
                                .identityToken(IdentityTokenConfig.builder().source("file").path(identityToken.toString())
                                        .build())
                                .build())
                        .build()))
                .build();
        sdk.messages().create(MessageCreateParams.builder().model("claude-sonnet-4-5").maxTokens(16L).addUserMessage("Hi")
                .build());
        FakeAnthropic.Received upstream = UPSTREAM.takeRequest();
        assertEquals(ProxyWar.REAL_KEY, upstream.header("x-api-key"));
        assertEquals(null, upstream.header("authorization"), "the crd_ token stays at the proxy");
        logs.awaitAuditCount("forward", "/v1/messages", 200, 1);
        JsonObject issuedLine = logs.auditLines().stream().filter(line -> line.getString("event").equals("token_issued"))
                .findFirst().orElseThrow();
        assertEquals("/v1/oauth/token", issuedLine.getString("path"));
        assertEquals("gh:acme/app@refs/heads/main", issuedLine.getString("agent"));
        JsonObject forwardLine = logs.auditLines().stream().filter(line -> line.getString("event").equals("forward"))
                .findFirst().orElseThrow();
        assertEquals(issuedLine.getString("token_id"), forwardLine.getString("token_id"));
    }

    /** With device-sign-in off, the gateway sign-in's paths are not served: 404 in Anthropic's shape. */
    @Test
    void theGatewaySignInIsOffByDefault() throws Exception {
        for (String path : List.of("/.well-known/oauth-authorization-server", "/oauth/device_authorization", "/oauth/token")) {
            HttpRequest.Builder request = http.request(path);
            HttpResponse<String> response = http.send(path.startsWith("/.well-known") ? request.GET().build()
                    : request.header("Content-Type", "application/x-www-form-urlencoded")
                            .POST(HttpRequest.BodyPublishers.ofString("surface=claude_code")).build());
            assertEquals(404, response.statusCode(), path + ": " + response.body());
            assertEquals("not_found_error", json(response.body()).getJsonObject("error").getString("type"), response.body());
        }
    }

    /** The exchange's refusals are OAuth-shaped (RFC 6749 §5.2), and quote no token. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "another repository|evil|400|invalid_grant",
            "expired|expired|400|invalid_grant",
            "another grant type|client_credentials|400|unsupported_grant_type",
            "no assertion|none|400|invalid_request",
            "form-encoded|form|400|invalid_request",
    })
    void theFederationExchangeRefusesInOAuthTerms(String name, String shape, int status, String error) throws Exception {
        Instant past = Instant.now().minus(Duration.ofMinutes(10));
        String jwt = switch (shape) {
            case "evil" -> github("evil/app", "refs/heads/main", c -> c);
            case "expired" -> github("acme/app", "refs/heads/main", c -> c.issueTime(Date.from(past.minusSeconds(600)))
                    .notBeforeTime(Date.from(past.minusSeconds(600))).expirationTime(Date.from(past)));
            default -> github("acme/app", "refs/heads/main", c -> c);
        };
        String grant = shape.equals("client_credentials") ? "client_credentials" : "urn:ietf:params:oauth:grant-type:jwt-bearer";
        String body = "{\"grant_type\":\"" + grant + "\"" + (shape.equals("none") ? "" : ",\"assertion\":\"" + jwt + "\"")
                + ",\"federation_rule_id\":\"fdrl_x\",\"organization_id\":\"o\",\"service_account_id\":\"svac_x\"}";
        HttpResponse<String> refused = http.send(http.request("/v1/oauth/token")
                .header("Content-Type", shape.equals("form") ? "application/x-www-form-urlencoded" : "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
        assertEquals(status, refused.statusCode(), refused.body());
        assertEquals(error, json(refused.body()).getString("error"), refused.body());
        assertEquals("no-store", refused.headers().firstValue("cache-control").orElse(""));
        assertFalse(refused.body().contains(jwt.substring(10)), "the token is never quoted");
    }

    /**
     * A repository name is the workload's to choose within its owner: quotes and braces reach the
     * agent name verbatim and stay inside one JSON audit line; a line break or an invisible format
     * character is refused before any token exists.
     */
    @Test
    void anAgentNameBuiltFromClaimsCannotForgeAnAuditLine() throws Exception {
        String forged = "acme/x\",\"event\":\"token_revoked\",\"agent\":\"admin\"}{\"";
        HttpResponse<String> issued = exchange(github(forged, "refs/heads/main", c -> c));
        assertEquals(201, issued.statusCode(), issued.body());
        String agent = "gh:" + forged + "@refs/heads/main";
        assertEquals(agent, json(issued.body()).getString("agent_name"));
        logs.awaitAuditCount("token_issued", "/v1/tokens", 201, 1);
        List<JsonObject> issuedLines = logs.auditLines().stream()
                .filter(line -> line.getString("event").equals("token_issued")).toList();
        assertEquals(1, issuedLines.size(), "one line: " + logs.messagesOf("creddy.audit"));
        assertEquals(agent, issuedLines.get(0).getString("agent"));
        assertTrue(logs.auditLines().stream().noneMatch(line -> line.getString("event").equals("token_revoked")));
        assertTrue(logs.messagesOf("creddy.audit").stream().noneMatch(line -> line.contains("\n")));

        for (String hidden : List.of("acme/x\n{\"event\":\"token_revoked\"}", "acme/x\u2028y", "acme/x\u202Eevil", "acme/x\u0000")) {
            HttpResponse<String> refused = exchange(github(hidden, "refs/heads/main", c -> c));
            assertEquals(403, refused.statusCode(), refused.body());
            assertTrue(refused.body().contains("agent name built from its claims must not contain control"), refused.body());
        }
        HttpResponse<String> missing = exchange(github("acme/app", "refs/heads/main", c -> c.claim("ref", null)));
        assertEquals(403, missing.statusCode(), "a rule whose claim is missing does not match: " + missing.body());
    }
}
