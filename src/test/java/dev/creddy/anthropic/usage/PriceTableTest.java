package dev.creddy.anthropic.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.LocalDate;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Issue 19: the price table as data, its matching rules and exact costs, computed by hand below. */
class PriceTableTest {

    private static final PriceTable BUILT_IN = PriceTable.builtIn();

    @Test
    void everyBuiltInRowNamesItsSourceAndDate() {
        assertTrue(BUILT_IN.rows().size() >= 15, BUILT_IN.toString());
        for (ModelPrice row : BUILT_IN.rows()) {
            assertTrue(row.source().startsWith("https://platform.claude.com/"), row.pattern());
            assertEquals(LocalDate.of(2026, 12, 3), LocalDate.parse(row.taken()), row.pattern());
            assertEquals(50, row.batchDiscountPercent(), row.pattern());
        }
    }

    @ParameterizedTest
    @CsvSource({
        "claude-opus-4-5-20251101, claude-opus-4-5",
        "claude-opus-4-20250514, claude-opus-4",
        "claude-opus-4-1-20250805, claude-opus-4-1",
        "claude-sonnet-4-5, claude-sonnet-4-5",
        "claude-sonnet-4-20250514, claude-sonnet-4",
        "claude-sonnet-5-5, claude-sonnet-5-5",
        "claude-sonnet-5, claude-sonnet-5",
        "claude-haiku-4-5-20251001, claude-haiku-4-5",
        "claude-3-5-haiku-20241022, claude-3-5-haiku",
        "claude-3-haiku-20240307, claude-3-haiku",
        "claude-fable-5-1, claude-fable-5-1",
    })
    void aModelIdTakesTheLongestPatternThatEndsAtADash(String model, String pattern) {
        assertEquals(pattern, BUILT_IN.lookup(model).orElseThrow().pattern());
    }

    @ParameterizedTest
    @CsvSource({"claude-sonnet-40", "claude-opus", "gpt-4o", "claude-haiku-45", "''"})
    void anUnknownModelHasNoPriceAtAll(String model) {
        assertTrue(BUILT_IN.lookup(model).isEmpty(), model);
        assertTrue(BUILT_IN.costMicros(model, new ModelPrice.MeteredTokens(1, 1, 0, 0, 0), false).isEmpty());
    }

    @Test
    void eachKindOfTokenIsPricedAtItsOwnRate() {
        // Sonnet 4.5: $3 in, $15 out, $3.75 5m write, $6 1h write, $0.30 read per MTok.
        // 1000 in = 3000 µ$; 500 out = 7500 µ$; 2000 5m = 7500 µ$; 1000 1h = 6000 µ$; 10000 read = 3000 µ$.
        ModelPrice.MeteredTokens tokens = new ModelPrice.MeteredTokens(1000, 500, 2000, 1000, 10_000);
        assertEquals(OptionalLong.of(27_000), BUILT_IN.costMicros("claude-sonnet-4-5-20250929", tokens, false));
        // The Batches API takes 50% off every rate.
        assertEquals(OptionalLong.of(13_500), BUILT_IN.costMicros("claude-sonnet-4-5-20250929", tokens, true));
    }

    @Test
    void aCostIsRoundedUpOnceToTheMicroDollar() {
        // Haiku 3 cache read: $0.03 / MTok = 0.03 µ$ per token; 10 tokens = 0.3 µ$, charged 1 µ$.
        assertEquals(OptionalLong.of(1), BUILT_IN.costMicros("claude-3-haiku-20240307", new ModelPrice.MeteredTokens(0, 0, 0, 0, 10), false));
        // Haiku 3: 3 in (0.75 µ$) + 1 out (1.25 µ$) = 2 µ$ exactly; batch: 1 µ$ exactly.
        assertEquals(OptionalLong.of(2), BUILT_IN.costMicros("claude-3-haiku-20240307", new ModelPrice.MeteredTokens(3, 1, 0, 0, 0), false));
        assertEquals(OptionalLong.of(1), BUILT_IN.costMicros("claude-3-haiku-20240307", new ModelPrice.MeteredTokens(3, 1, 0, 0, 0), true));
    }

    @Test
    void aLongPromptIsPricedAtTheLongContextTierForEveryToken() {
        // Sonnet 4: over 200k input tokens, $6 in and $22.50 out.
        ModelPrice.MeteredTokens longPrompt = new ModelPrice.MeteredTokens(150_000, 1000, 0, 0, 50_001);
        // 150000 × 6 = 900000; 1000 × 22.5 = 22500; 50001 × 0.6 = 30000.6 → 952500.6 → 952501 µ$.
        assertEquals(OptionalLong.of(952_501), BUILT_IN.costMicros("claude-sonnet-4-20250514", longPrompt, false));
        ModelPrice.MeteredTokens atThreshold = new ModelPrice.MeteredTokens(200_000, 0, 0, 0, 0);
        assertEquals(OptionalLong.of(600_000), BUILT_IN.costMicros("claude-sonnet-4-20250514", atThreshold, false));
    }

    @Test
    void anOperatorsRowsReplaceAndExtendTheBuiltInOnes() {
        PriceTable table = PriceTable.withOverrides("""
                {"models":[
                  {"pattern":"claude-sonnet-4-5","input":1,"output":2,"source":"https://example.com/contract","taken":"2026-11-30"},
                  {"pattern":"claude-private-1","input":4,"output":8,"source":"https://example.com/contract","taken":"2026-11-30"}]}
                """, "/etc/creddy/prices.json");
        assertEquals("built-in + /etc/creddy/prices.json", table.origin());
        assertNotEquals(BUILT_IN.version(), table.version());
        // Cache rates default to 1.25×, 2× and 0.1× the input rate.
        ModelPrice.Rates rates = table.lookup("claude-sonnet-4-5").orElseThrow().rates();
        assertEquals(new ModelPrice.Rates(1_000_000, 2_000_000, 1_250_000, 2_000_000, 100_000), rates);
        assertTrue(table.lookup("claude-private-1-beta").isPresent());
        assertTrue(table.lookup("claude-opus-4-5").isPresent());

        PriceTable alone = PriceTable.withOverrides("""
                {"extends":false,"models":[{"pattern":"claude-private-1","input":4,"output":8,
                  "source":"https://example.com/contract","taken":"2026-11-30"}]}
                """, "setting");
        assertEquals(1, alone.rows().size());
        assertTrue(alone.lookup("claude-opus-4-5").isEmpty());
    }

    @Test
    void theVersionDependsOnTheFiguresOnly() {
        assertEquals(BUILT_IN.version(), PriceTable.builtIn().version());
        assertEquals(12, BUILT_IN.version().length());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{}| needs \"models\"",
        "{\"models\":[{\"pattern\":\"x\",\"input\":1,\"output\":1,\"taken\":\"2026-12-03\"}]}| source is required",
        "{\"models\":[{\"pattern\":\"x\",\"input\":1,\"output\":1,\"source\":\"https://a\",\"taken\":\"yesterday\"}]}| taken must be",
        "{\"models\":[{\"pattern\":\"x\",\"output\":1,\"source\":\"https://a\",\"taken\":\"2026-12-03\"}]}| input is required",
        "{\"models\":[{\"pattern\":\"x\",\"input\":0.0000001,\"output\":1,\"source\":\"https://a\",\"taken\":\"2026-12-03\"}]}| more than six decimals",
        "{\"models\":[{\"pattern\":\"x\",\"input\":-1,\"output\":1,\"source\":\"https://a\",\"taken\":\"2026-12-03\"}]}| must be from 0",
        "{\"models\":[{\"pattern\":\"x\",\"input\":1,\"output\":1,\"source\":\"https://a\",\"taken\":\"2026-12-03\",\"discount\":1}]}| unknown field",
        "not json| must be a JSON object",
    })
    void aBadTableIsRefusedSayingWhatToFix(String text, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PriceTable.withOverrides(text, "setting"));
        assertTrue(e.getMessage().contains(expected.strip()), e.getMessage());
    }
}
