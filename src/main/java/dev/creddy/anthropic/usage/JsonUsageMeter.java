package dev.creddy.anthropic.usage;

import jakarta.json.JsonObject;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Meters a non-streaming Messages response ({@code application/json}): reads the top-level
 * {@code usage} object as the body goes by, keeping nothing else. Nested objects named {@code usage}
 * (inside a tool's input, say) do not count. Should the body hold {@code usage} twice, the last one
 * counts, as in the SDKs' parsers. A body that is not JSON, or cut off before {@code usage}, meters
 * zero (or what it read).
 *
 * <p>Confined to one exchange, like every {@link ResponseMeter}.
 */
final class JsonUsageMeter implements ResponseMeter {

    private final UsageFields fields = new UsageFields();
    private final JsonPathScanner scanner = JsonPathScanner.of(new JsonPathScanner.Listener() {
        @Override
        public void captured(int path, byte[] json, int length) {
            CapturedJson.value(json, length).filter(JsonObject.class::isInstance)
                    .ifPresent(usage -> fields.overwrite((JsonObject) usage));
        }

        @Override
        public void tooLarge(int path) {
            // A usage object over 16 KB is not Anthropic's: nothing to count.
        }
    }, JsonPathScanner.DEFAULT_CAPTURE_LIMIT, List.of("usage"));

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
        return fields.usage();
    }

    /** What the scanner holds now, for tests of the memory bound. */
    int retainedBytes() {
        return scanner.retainedBytes();
    }
}
