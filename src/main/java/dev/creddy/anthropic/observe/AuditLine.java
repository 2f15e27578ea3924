package dev.creddy.anthropic.observe;

import dev.creddy.anthropic.token.AgentIdentity;
import jakarta.json.Json;
import jakarta.json.stream.JsonGenerator;
import jakarta.json.stream.JsonGeneratorFactory;
import java.io.StringWriter;
import java.util.Map;

/**
 * The JSON text of one audit line, written field by field with JSON-P's streaming generator
 * (Parsson): no binding, no reflection, no cycle detection, one small buffer per line.
 *
 * <p>The text is the one JSON-B wrote from the {@link AuditEntry} record before (operators' parsers
 * and the tests read it): the same field names in the same order, null fields left out, and the
 * generator's escaping of strings, which turns every control character into an escape so that no
 * agent name or path can start a second line. {@code AuditLineTest} holds it to JSON-B's output.
 *
 * <p>Thread-safe: the generator factory is, and each call has its own generator.
 */
final class AuditLine {

    private static final JsonGeneratorFactory GENERATORS = Json.createGeneratorFactory(Map.of());

    private AuditLine() {
    }

    /** The line for {@code entry}. */
    static String of(AuditEntry entry) {
        StringWriter text = new StringWriter(384);
        try (JsonGenerator json = GENERATORS.createGenerator(text)) {
            json.writeStartObject();
            string(json, "timestamp", entry.timestamp());
            string(json, "event", entry.event());
            string(json, "exchange", entry.exchange());
            string(json, "agent", entry.agent());
            string(json, "token_id", entry.tokenId());
            string(json, "client", entry.client());
            string(json, "method", entry.method());
            string(json, "path", entry.path());
            if (entry.status() != null) {
                json.write("status", entry.status().intValue());
            }
            string(json, "outcome", entry.outcome());
            if (entry.durationMs() != null) {
                json.write("duration_ms", entry.durationMs().doubleValue());
            }
            string(json, "upstream_request_id", entry.upstreamRequestId());
            string(json, "reason", entry.reason());
            string(json, "model", entry.model());
            number(json, "input_tokens", entry.inputTokens());
            number(json, "output_tokens", entry.outputTokens());
            number(json, "cache_creation_input_tokens", entry.cacheCreationInputTokens());
            number(json, "cache_read_input_tokens", entry.cacheReadInputTokens());
            if (entry.identity() != null) {
                identity(json, entry.identity());
            }
            if (entry.costUsd() != null) {
                json.write("cost_usd", entry.costUsd());
            }
            if (entry.usagePartial() != null) {
                json.write("usage_partial", entry.usagePartial().booleanValue());
            }
            json.writeEnd();
        }
        return text.toString();
    }

    private static void identity(JsonGenerator json, AgentIdentity identity) {
        json.writeStartObject("identity");
        string(json, "issuer", identity.issuer());
        string(json, "subject", identity.subject());
        string(json, "task_id", identity.taskId());
        string(json, "parent_agent_id", identity.parentAgentId());
        // Never null and never holding a null: the record copies them with List.copyOf.
        json.writeStartArray("scopes");
        for (String scope : identity.scopes()) {
            json.write(scope);
        }
        json.writeEnd();
        string(json, "ip_restriction", identity.ipRestriction());
        json.writeEnd();
    }

    private static void string(JsonGenerator json, String name, String value) {
        if (value != null) {
            json.write(name, value);
        }
    }

    private static void number(JsonGenerator json, String name, Long value) {
        if (value != null) {
            json.write(name, value.longValue());
        }
    }
}
