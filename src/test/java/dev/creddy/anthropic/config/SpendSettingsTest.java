package dev.creddy.anthropic.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.usage.PriceTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Issue 19: {@code price-table} and {@code agent-budgets}. */
class SpendSettingsTest {

    private record MapSource(Map<String, String> values) implements SettingsSource {
        @Override
        public Optional<String> lookup(Setting setting) {
            return Optional.ofNullable(values.get(setting.key()));
        }

        @Override
        public String describe(Setting setting) {
            return "jndi " + setting.key();
        }
    }

    private static Settings load(Map<String, String> values) {
        return new SettingsLoader(List.of(new MapSource(values))).load();
    }

    @Test
    void withoutSettingsTheBuiltInTableHoldsAndNoAgentHasABudget() {
        Settings settings = load(Map.of());
        assertEquals(PriceTable.builtIn().version(), settings.priceTable().version());
        assertEquals("built-in", settings.priceTable().origin());
        assertEquals(Map.of(), settings.agentBudgets());
    }

    @Test
    void thePriceTableComesFromAFileOrFromTheValueItself(@TempDir Path dir) throws IOException {
        String row = "{\"models\":[{\"pattern\":\"claude-private-1\",\"input\":4,\"output\":8,"
                + "\"source\":\"https://example.com/contract\",\"taken\":\"2026-11-30\"}]}";
        Path file = Files.writeString(dir.resolve("prices.json"), row);
        Settings fromFile = load(Map.of("price-table", file.toString()));
        assertEquals("built-in + " + file, fromFile.priceTable().origin());
        assertTrue(fromFile.priceTable().lookup("claude-private-1").isPresent());
        Settings inline = load(Map.of("price-table", row));
        assertEquals("built-in + setting", inline.priceTable().origin());
        assertEquals(fromFile.priceTable().version(), inline.priceTable().version());
    }

    @Test
    void agentBudgetsAreMicroDollarsPerAgent() {
        Settings settings = load(Map.of("agent-budgets", "{\"researcher\":{\"usd_per_day\":20},\"ci\":{\"usd_per_day\":0.05}}"));
        assertEquals(Map.of("researcher", 20_000_000L, "ci", 50_000L), settings.agentBudgets());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "price-table|/nonexistent/prices.json|neither a price table in JSON nor a readable file",
        "price-table|{\"models\":[{\"pattern\":\"x\"}]}|source is required",
        "agent-budgets|[]|must be a JSON object",
        "agent-budgets|{\"a\":{\"usd_per_week\":1}}|must be an object {\"usd_per_day\": N}",
        "agent-budgets|{\"a\":{\"usd_per_day\":0}}|above 0",
        "agent-budgets|{\"a\":{\"usd_per_day\":0.0000001}}|at most six decimals",
    })
    void aWrongValueFailsTheDeploymentNamingTheSetting(String key, String value, String expected) {
        InvalidSettingsException e = assertThrows(InvalidSettingsException.class, () -> load(Map.of(key, value)));
        assertTrue(e.getMessage().contains(key), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
