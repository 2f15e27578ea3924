package dev.creddy.anthropic.it;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.it.support.ProxyWar;
import dev.creddy.anthropic.it.support.SuiteRecorder;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Runs after every other integration test class: no log record of the whole run (messages,
 * parameters, exceptions and their causes) and no response the suite read holds the real key, the
 * issuer key or any token the suite was issued.
 */
@Order(Integer.MAX_VALUE)
class LeakAuditIT {

    @Test
    void noSecretAppearsInAnyLogLineOrResponseOfTheSuite() {
        List<String> logs = SuiteRecorder.logs();
        List<String> responses = SuiteRecorder.responses();
        Set<String> tokens = SuiteRecorder.tokens();
        assertTrue(logs.size() > 100, "the capture saw the suite's logs: " + logs.size());
        assertTrue(responses.size() > 100, "the capture saw the suite's responses: " + responses.size());
        assertTrue(tokens.size() > 20, "the capture saw the suite's tokens: " + tokens.size());

        List<String> secrets = new ArrayList<>(List.of(ProxyWar.REAL_KEY, ProxyWar.ISSUER_KEY));
        for (String token : tokens) {
            // The random part alone: a log line that cut off the prefix would still leak the token.
            secrets.add(token.substring("crd_".length()));
        }
        for (String secret : secrets) {
            for (String line : logs) {
                assertFalse(line.contains(secret), "a log record holds a secret: " + line);
            }
            for (String response : responses) {
                assertFalse(response.contains(secret), "a response holds a secret: " + response);
            }
        }
    }
}
