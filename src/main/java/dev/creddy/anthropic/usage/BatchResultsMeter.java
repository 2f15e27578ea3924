package dev.creddy.anthropic.usage;

import jakarta.json.JsonObject;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Meters a Message Batches results file ({@code GET /v1/messages/batches/{id}/results}, JSON Lines:
 * one {@code {"custom_id":…,"result":{"type":"succeeded","message":{…}}}} per line) as it passes: each
 * line's {@code result.message.usage} is priced with its own {@code result.message.model} at the
 * batch rate (the table's batch discount), and the lines are summed. Lines that did not succeed
 * ({@code errored}, {@code canceled}, {@code expired}) carry no message and cost nothing. Keeps at
 * most one line's usage and model, never the body.
 *
 * <p>Confined to one exchange, like every {@link ResponseMeter}.
 */
public final class BatchResultsMeter implements ResponseMeter {

    private static final int USAGE = 0;
    private static final int MODEL = 1;
    private static final List<String> PATHS = List.of("result.message.usage", "result.message.model");

    private final PriceTable prices;
    private UsageFields line = new UsageFields();
    private JsonPathScanner scanner;
    private boolean lineHasBytes;
    private Usage total = Usage.ZERO;

    /** @param prices what each line's tokens are priced with */
    public BatchResultsMeter(PriceTable prices) {
        this.prices = prices;
        this.scanner = newScanner();
    }

    @Override
    public void accept(ByteBuffer chunk) {
        try {
            byte[] bytes = new byte[chunk.remaining()];
            chunk.get(chunk.position(), bytes);
            int from = 0;
            for (int at = 0; at < bytes.length; at++) {
                if (bytes[at] == '\n') {
                    feed(bytes, from, at - from);
                    endLine();
                    from = at + 1;
                }
            }
            feed(bytes, from, bytes.length - from);
        } catch (RuntimeException e) {
            // Metering never breaks the response.
        }
    }

    private void feed(byte[] bytes, int from, int length) {
        if (length > 0) {
            lineHasBytes = true;
            scanner.accept(bytes, from, length);
        }
    }

    /** The lines read so far; a line still open at the end of the body counts once the body ends ({@link #end()}). */
    @Override
    public Usage usage() {
        return total;
    }

    /** The body ended: a last line without a newline counts too. */
    public void end() {
        endLine();
    }

    private void endLine() {
        if (lineHasBytes) {
            scanner.end();
            Usage priced = line.usage(prices, true);
            total = UsageCounts.sum(total, priced);
        }
        line = new UsageFields();
        scanner = newScanner();
        lineHasBytes = false;
    }

    private JsonPathScanner newScanner() {
        UsageFields fields = line;
        return JsonPathScanner.of(new JsonPathScanner.Listener() {
            @Override
            public void captured(int path, byte[] json, int length) {
                if (path == MODEL) {
                    CapturedJson.value(json, length).ifPresent(fields::model);
                } else if (path == USAGE) {
                    CapturedJson.value(json, length).filter(JsonObject.class::isInstance)
                            .ifPresent(usage -> fields.overwrite((JsonObject) usage));
                }
            }

            @Override
            public void tooLarge(int path) {
                // Not Anthropic's usage: nothing to count.
            }
        }, JsonPathScanner.DEFAULT_CAPTURE_LIMIT, PATHS);
    }
}
