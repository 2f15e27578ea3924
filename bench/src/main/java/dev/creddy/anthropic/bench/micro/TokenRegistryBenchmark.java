package dev.creddy.anthropic.bench.micro;

import dev.creddy.anthropic.token.IssuedToken;
import dev.creddy.anthropic.token.MemoryTokenStore;
import dev.creddy.anthropic.token.TokenRecord;
import dev.creddy.anthropic.token.TokenSecrets;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The in-memory registry on the paths every request and every issuance take: validating a live
 * token among 10,000 (SHA-256 of the secret, a map lookup, the expiry check), refusing an unknown or
 * malformed one, and issuing (256 random bits from SecureRandom, a digest, a put).
 */
@BenchmarkMode(Mode.AverageTime)
public class TokenRegistryBenchmark {

    /** A registry holding 10,000 live tokens. */
    @State(Scope.Benchmark)
    public static class Populated {
        MemoryTokenStore store;
        String known;
        String unknown;

        @Setup(Level.Trial)
        public void fill() {
            store = new MemoryTokenStore(new TokenSecrets(), Clock.systemUTC());
            for (int i = 0; i < 10_000; i++) {
                known = store.issue("agent-" + i, Duration.ofHours(2)).secret();
            }
            unknown = new TokenSecrets().newSecret();
        }
    }

    /** A fresh registry per iteration, so issuing does not measure an ever-growing map. */
    @State(Scope.Thread)
    public static class Empty {
        MemoryTokenStore store;

        @Setup(Level.Iteration)
        public void clear() {
            store = new MemoryTokenStore(new TokenSecrets(), Clock.systemUTC());
        }
    }

    @Benchmark
    public Optional<TokenRecord> validateLiveToken(Populated state) {
        return state.store.validate(state.known);
    }

    @Benchmark
    public Optional<TokenRecord> validateUnknownToken(Populated state) {
        return state.store.validate(state.unknown);
    }

    @Benchmark
    public Optional<TokenRecord> validateMalformedToken(Populated state) {
        return state.store.validate("sk-ant-api03-not-a-crd-token");
    }

    @Benchmark
    public IssuedToken issueToken(Empty state) {
        return state.store.issue("bench-agent", Duration.ofHours(1));
    }
}
