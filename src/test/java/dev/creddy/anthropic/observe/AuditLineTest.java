package dev.creddy.anthropic.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.creddy.anthropic.token.AgentIdentity;
import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The streamed audit line is, byte for byte, the line JSON-B wrote from the same record before
 * (operators' parsers depend on it): same names, same order, nulls left out, same escaping.
 */
class AuditLineTest {

    private static Jsonb jsonb;

    @BeforeAll
    static void binder() {
        jsonb = JsonbBuilder.create();
    }

    @AfterAll
    static void close() throws Exception {
        jsonb.close();
    }

    private static final String[] AWKWARD = {"", "plain", "quote \" and \\ backslash", "line\nbreak\r\nand\ttab",
            "\u0000\u0001\u001f\u007f", "forged\"}\n{\"event\":\"token_issued", "unicode é ü 中文 🙂", "\u2028\u2029",
            "</script>", "slash / and \b\f"};

    static Stream<AuditEntry> entries() {
        AgentIdentity full = new AgentIdentity("https://issuer.example", "sub \"1\"", "task-7", "parent\nagent",
                List.of("anthropic", "read write"), "10.0.0.0/8");
        AgentIdentity bare = new AgentIdentity("https://issuer.example", "sub", null, null, List.of(), null);
        List<AuditEntry> entries = new ArrayList<>(List.of(
                new AuditEntry("2026-12-03T11:00:00.123456Z", "forward", "0123456789abcdef", "agent", "tok_abc", "127.0.0.1",
                        "POST", "/v1/messages", 200, "completed", 12.5, "req_01", null, "claude-sonnet-4-5", 12L, 6L, 0L, 0L, full),
                new AuditEntry("2026-12-03T11:00:00Z", "rejected", null, null, null, "::1", "GET", "/v1/", 401,
                        "authentication_error", null, null, "missing"),
                new AuditEntry("t", "token_expired", null, "a", "tok_x", null, null, null, null, "expired", null, null, null,
                        null, null, null, null, null, bare),
                new AuditEntry(null, null, null, null, null, null, null, null, null, null, null, null, null),
                new AuditEntry("t", "forward", "e", "a", "t", "c", "m", "p", 0, "client_disconnected", 0.0, null, null, null,
                        Long.MAX_VALUE, Long.MIN_VALUE, -1L, 1L, null),
                // Issue 19: the cost, exact to the micro-dollar, and the mark of a partial figure.
                new AuditEntry("t", "forward", "e", "a", "t", "c", "m", "p", 200, "upstream_failed", 1.0, null, null,
                        "claude-sonnet-4-5", 12L, 1L, 3000L, 20000L, null, new java.math.BigDecimal("0.021801"), Boolean.TRUE),
                new AuditEntry("t", "forward", "e", "a", "t", "c", "m", "p", 200, "completed", 1.0, null, null,
                        null, 1L, 1L, 0L, 0L, null, dev.creddy.anthropic.usage.Money.dollars(1), null)));
        for (double duration : new double[] {0.001, 1e-7, 123456789.123, 1e21, 3.0, 0.1 + 0.2, Double.MIN_VALUE, -0.0}) {
            entries.add(new AuditEntry("t", "forward", "e", "a", "t", "c", "m", "p", Integer.MIN_VALUE, "o", duration, "r",
                    null));
        }
        for (String awkward : AWKWARD) {
            entries.add(new AuditEntry(awkward, awkward, awkward, awkward, awkward, awkward, awkward, awkward, 200, awkward,
                    1.0, awkward, awkward, awkward, null, null, null, null,
                    new AgentIdentity(awkward, awkward, awkward, awkward, List.of(awkward, awkward), awkward)));
        }
        return entries.stream();
    }

    @ParameterizedTest
    @MethodSource("entries")
    void sameTextAsJsonB(AuditEntry entry) {
        assertEquals(jsonb.toJson(entry), AuditLine.of(entry));
    }

    @Test
    void randomTextStaysOnOneLineAndMatchesJsonB() {
        Random random = new Random(14);
        for (int i = 0; i < 2000; i++) {
            StringBuilder text = new StringBuilder();
            for (int c = random.nextInt(20); c > 0; c--) {
                // Mostly the control and escape-worthy range, sometimes anything in the BMP.
                text.append((char) (random.nextInt(4) == 0 ? random.nextInt(0xD800) : random.nextInt(0x80)));
            }
            AuditEntry entry = new AuditEntry("t", "forward", null, text.toString(), null, null, null, text.toString(), 1,
                    "o", 2.5, null, null);
            String line = AuditLine.of(entry);
            assertEquals(jsonb.toJson(entry), line);
            assertFalse(line.contains("\n") || line.contains("\r"), line);
        }
    }
}
