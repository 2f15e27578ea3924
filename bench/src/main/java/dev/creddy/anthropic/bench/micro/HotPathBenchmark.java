package dev.creddy.anthropic.bench.micro;

import dev.creddy.anthropic.config.Secret;
import dev.creddy.anthropic.forward.HeaderPolicy;
import dev.creddy.anthropic.forward.UpstreamTarget;
import dev.creddy.anthropic.observe.AuditEntry;
import dev.creddy.anthropic.observe.AuditLines;
import dev.creddy.anthropic.usage.Usage;
import dev.creddy.anthropic.token.MemoryTokenStore;
import dev.creddy.anthropic.token.TokenRecord;
import dev.creddy.anthropic.token.TokenSecrets;
import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.message.BasicHeader;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The proxy's own per-request work outside the container and HttpClient: validating the token,
 * choosing the target, filtering the headers both ways (with the headers the official Java SDK
 * sends and the API answers), and encoding the audit line, alone and together.
 */
@BenchmarkMode(Mode.AverageTime)
@State(Scope.Benchmark)
public class HotPathBenchmark {

    private final HeaderPolicy policy = new HeaderPolicy();
    private final Secret realKey = Secret.of("sk-ant-api03-bench-real-key");
    private final UpstreamTarget target = new UpstreamTarget(URI.create("https://api.anthropic.com"));
    private MemoryTokenStore store;
    private String token;
    private List<Header> sdkRequestHeaders;
    private Header[] apiResponseHeaders;
    private Jsonb jsonb;

    @Setup
    public void setUp() {
        store = new MemoryTokenStore(new TokenSecrets(), Clock.systemUTC());
        for (int i = 0; i < 1000; i++) {
            token = store.issue("agent-" + i, Duration.ofHours(2)).secret();
        }
        sdkRequestHeaders = List.of(
                new BasicHeader("Host", "127.0.0.1:8080"),
                new BasicHeader("Accept", "application/json"),
                new BasicHeader("Anthropic-Version", "2023-06-01"),
                new BasicHeader("Content-Type", "application/json"),
                new BasicHeader("Content-Length", "97"),
                new BasicHeader("User-Agent", "AnthropicOkHttpClient/Java 3.14.0"),
                new BasicHeader("X-Api-Key", token),
                new BasicHeader("X-Stainless-Arch", "x64"),
                new BasicHeader("X-Stainless-Lang", "java"),
                new BasicHeader("X-Stainless-OS", "Linux"),
                new BasicHeader("X-Stainless-Package-Version", "3.14.0"),
                new BasicHeader("X-Stainless-Runtime", "JRE"),
                new BasicHeader("X-Stainless-Runtime-Version", "17.0.15"),
                new BasicHeader("X-Stainless-Retry-Count", "0"),
                new BasicHeader("X-Stainless-Timeout", "600"),
                new BasicHeader("Accept-Encoding", "gzip"),
                new BasicHeader("Connection", "keep-alive"));
        apiResponseHeaders = new Header[] {
                new BasicHeader("Date", "Wed, 26 Nov 2026 12:00:00 GMT"),
                new BasicHeader("Content-Type", "application/json"),
                new BasicHeader("Content-Length", "412"),
                new BasicHeader("Connection", "keep-alive"),
                new BasicHeader("anthropic-ratelimit-requests-limit", "4000"),
                new BasicHeader("anthropic-ratelimit-requests-remaining", "3999"),
                new BasicHeader("anthropic-ratelimit-requests-reset", "2026-11-26T12:00:01Z"),
                new BasicHeader("anthropic-ratelimit-tokens-limit", "400000"),
                new BasicHeader("anthropic-ratelimit-tokens-remaining", "399000"),
                new BasicHeader("anthropic-ratelimit-tokens-reset", "2026-11-26T12:00:01Z"),
                new BasicHeader("request-id", "req_011CUz7bench"),
                new BasicHeader("anthropic-organization-id", "00000000-0000-0000-0000-000000000000"),
                new BasicHeader("via", "1.1 google"),
                new BasicHeader("cf-cache-status", "DYNAMIC"),
                new BasicHeader("X-Robots-Tag", "none"),
                new BasicHeader("Server", "cloudflare"),
                new BasicHeader("CF-RAY", "8f0000000000000-SJC")};
        jsonb = JsonbBuilder.create();
    }

    @TearDown
    public void tearDown() throws Exception {
        jsonb.close();
    }

    @Benchmark
    public Optional<TokenRecord> validateToken() {
        return store.validate(token);
    }

    @Benchmark
    public Optional<String> requestTarget() {
        return target.requestTarget("/v1/messages", null);
    }

    @Benchmark
    public List<Header> headersForUpstream() {
        return policy.forUpstream(sdkRequestHeaders, realKey);
    }

    @Benchmark
    public List<Header> headersForClient() {
        return policy.forClient(apiResponseHeaders);
    }

    /** The audit line as JSON-B bound it on the request's thread before the asynchronous sink: for comparison. */
    @Benchmark
    public String auditLineJson() {
        return jsonb.toJson(auditEntry());
    }

    /** The audit line as the sink's writer thread streams it with JSON-P now (off the request's thread). */
    @Benchmark
    public String auditLineStreamed() {
        return AuditLines.line(auditEntry());
    }

    /** Everything above, once each, as one forwarded request does it. */
    @Benchmark
    public void wholeRequest(Blackhole blackhole) {
        blackhole.consume(store.validate(token));
        blackhole.consume(target.requestTarget("/v1/messages", null));
        blackhole.consume(policy.forUpstream(sdkRequestHeaders, realKey));
        blackhole.consume(policy.forClient(apiResponseHeaders));
        // Encoded on the audit writer's thread now, but it is still CPU the request costs.
        blackhole.consume(AuditLines.line(auditEntry()));
    }

    private static AuditEntry auditEntry() {
        return AuditEntry.forwarded(Instant.now().toString(), "9f2c3b1a7d4e5f60", "bench-agent", "tok_3q2fJ5kQx0bXH1aR",
                "127.0.0.1", "POST", "/v1/messages", 200, "completed", 0.42, "req_011CUz7bench", null,
                new Usage(1, 12, 100, 0, 0, 0), null);
    }
}
