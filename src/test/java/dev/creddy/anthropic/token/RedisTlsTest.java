package dev.creddy.anthropic.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.config.RedisSettings;
import dev.creddy.anthropic.config.RedisTls;
import dev.creddy.anthropic.it.support.RedisServer;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 16, TLS: {@code rediss://} against real redis-servers with TLS (Debian's build has it), a
 * private CA made with openssl in the test and given with {@code redis-tls-ca}, and a client
 * certificate against {@code --tls-auth-clients yes}; the JVM's default trust is left alone.
 */
@Timeout(120)
class RedisTlsTest {

    private static Path dir;
    private static RedisServer tls;
    private static RedisServer mutual;
    private static int tlsPort;
    private static int mutualPort;

    private final List<RedisTokenStore> stores = new ArrayList<>();

    @BeforeAll
    static void makeCertificatesAndServers() throws Exception {
        dir = Files.createTempDirectory("creddy-redis-tls-");
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1",
                "-subj", "/CN=creddy-test-ca");
        for (String name : List.of("server", "client")) {
            openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".csr", "-subj",
                    "/CN=" + (name.equals("server") ? "localhost" : "creddy"));
            Files.writeString(dir.resolve(name + ".ext"), name.equals("server")
                    ? "subjectAltName=IP:127.0.0.1,DNS:localhost\n" : "extendedKeyUsage=clientAuth\n");
            openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out",
                    name + ".pem", "-days", "1", "-extfile", name + ".ext");
        }
        tlsPort = RedisServer.freePort();
        mutualPort = RedisServer.freePort();
        tls = RedisServer.start(serverArgs(tlsPort, "no"));
        mutual = RedisServer.start(serverArgs(mutualPort, "yes"));
    }

    private static List<String> serverArgs(int port, String authClients) {
        return List.of("--tls-port", Integer.toString(port), "--tls-cert-file", dir.resolve("server.pem").toString(),
                "--tls-key-file", dir.resolve("server.key").toString(), "--tls-ca-cert-file", dir.resolve("ca.pem").toString(),
                "--tls-auth-clients", authClients);
    }

    private static void openssl(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(Arrays.asList(args));
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("openssl.out").toFile()).start();
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IllegalStateException("openssl " + args[0] + " failed: " + Files.readString(dir.resolve("openssl.out")));
        }
    }

    @AfterAll
    static void stopServers() throws Exception {
        try {
            if (tls != null) {
                tls.close();
            }
        } finally {
            if (mutual != null) {
                mutual.close();
            }
        }
    }

    @AfterEach
    void closeStores() {
        stores.forEach(RedisTokenStore::close);
    }

    private RedisTokenStore store(int port, RedisTls settings) {
        RedisTokenStore store = new RedisTokenStore(new RedisSettings(URI.create("rediss://127.0.0.1:" + port + "/0"),
                Optional.empty(), Duration.ofSeconds(2), Duration.ofSeconds(1), Optional.empty(), Optional.empty(),
                RedisSettings.DEFAULT_KEY_PREFIX, false, settings), new TokenSecrets(), Clock.systemUTC());
        stores.add(store);
        store.start();
        return store;
    }

    private static RedisTls trusting(Optional<Path> certificate, Optional<Path> key) {
        return new RedisTls(Optional.of(dir.resolve("ca.pem")), certificate, key, Optional.empty(), true);
    }

    private static boolean serves(RedisTokenStore store) {
        try {
            IssuedToken token = store.issue("tls", Duration.ofHours(1));
            return store.validate(token.secret()).isPresent();
        } catch (TokenStoreUnavailableException e) {
            return false;
        }
    }

    @Test
    void aPrivateCaGivenForRedisAloneIsTrustedAndTheJvmDefaultTrustIsNot() throws Exception {
        RedisTokenStore store = store(tlsPort, trusting(Optional.empty(), Optional.empty()));
        assertEquals(Optional.empty(), store.unavailableReason());
        assertTrue(serves(store));

        TrustManagerFactory defaults = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        defaults.init((KeyStore) null);
        X509TrustManager jvm = (X509TrustManager) defaults.getTrustManagers()[0];
        for (X509Certificate root : jvm.getAcceptedIssuers()) {
            assertFalse(root.getSubjectX500Principal().getName().contains("creddy-test-ca"),
                    "the private CA stays out of the JVM's default trust, which the upstream uses");
        }
    }

    @Test
    void withoutTheCaTheServerIsNotTrusted() {
        RedisTokenStore store = store(tlsPort, RedisTls.DEFAULT);
        assertTrue(store.unavailableReason().isPresent());
        assertFalse(serves(store));
    }

    @Test
    void aClientCertificateIsPresentedWhenTheServerAsksForOne() {
        RedisTokenStore without = store(mutualPort, trusting(Optional.empty(), Optional.empty()));
        assertTrue(without.unavailableReason().isPresent(), "refused without a client certificate");
        RedisTokenStore with = store(mutualPort, trusting(Optional.of(dir.resolve("client.pem")),
                Optional.of(dir.resolve("client.key"))));
        assertEquals(Optional.empty(), with.unavailableReason());
        assertTrue(serves(with));
    }
}
