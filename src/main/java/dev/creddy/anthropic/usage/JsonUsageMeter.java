package dev.creddy.anthropic.usage;

import jakarta.json.JsonObject;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Meters a non-streaming Messages response ({@code application/json}): reads the top-level
 * {@code usage} object as the body goes by, keeping nothing else. Nested objects named {@code usage}
 * (inside a tool's input, say) do not count. Should the body hold {@code usage} twice, the last one
 * counts, as in the SDKs' parsers. The top-level {@code model} names the row of the price table. A body that is not JSON, or cut off before {@code usage}, meters
 * zero (or what it read).
 *
 * <p>Confined to one exchange, like every {@link ResponseMeter}.
 */
final class JsonUsageMeter implements ResponseMeter {

    /** The index of the top-level {@code model} among the scanner's paths. */
    private static final int MODEL = 1;

    private final UsageFields fields = new UsageFields();
    private final JsonPathScanner scanner = JsonPathScanner.of(new JsonPathScanner.Listener() {
        @Override
        public void captured(int path, byte[] json, int length) {
            if (path == MODEL) {
                CapturedJson.value(json, length).ifPresent(fields::model);
                return;
            }
            CapturedJson.value(json, length).filter(JsonObject.class::isInstance)
                    .ifPresent(usage -> fields.overwrite((JsonObject) usage));
        }

        @Override
        public void tooLarge(int path) {
            // A usage object over 16 KB is not Anthropic's: nothing to count.
        }
    }, JsonPathScanner.DEFAULT_CAPTURE_LIMIT, List.of("usage", "model"));
    private final PriceTable prices;

    /** A meter that counts tokens without pricing them. */
    JsonUsageMeter() {
        this(null);
    }

    /** @param prices what the response's tokens are priced with, or null to count them only */
    JsonUsageMeter(PriceTable prices) {
        this.prices = prices;
    }

    @Override
    public void accept(ByteBuffer chunk) {
        try {
            scanner.accept(chunk);
        } catch (RuntimeException e) {
            // Metering never breaks the response: a body we cannot read meters what was read so far.
        }
    }

    @Override
    public Usage usage() {
        return prices == null ? fields.usage() : fields.usage(prices, false);
    }

    /** What the scanner holds now, for tests of the memory bound. */
    int retainedBytes() {
        return scanner.retainedBytes();
    }
}
