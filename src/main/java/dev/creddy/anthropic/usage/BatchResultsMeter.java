package dev.creddy.anthropic.usage;

import jakarta.json.JsonObject;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Meters a Message Batches results file ({@code GET /v1/messages/batches/{id}/results}, JSON Lines:
 * one {@code {"custom_id":…,"result":{"type":"succeeded","message":{…}}}} per line) as it passes: each
 * line's {@code result.message.usage} is priced with its own {@code result.message.model} at the
 * batch rate (the table's batch discount), and the lines are summed. Lines that did not succeed
 * ({@code errored}, {@code canceled}, {@code expired}) carry no message and cost nothing.
 *
 * <p>A line counts once its JSON object has closed, with or without the newline after it; a line cut
 * off by the end of the body (a download broken off) does not count, and {@link #complete()} then says
 * the figure is partial. So {@link #usage()} is always the sum of the first lines read in full, which
 * {@link BatchCharges} relies on to charge each line of a batch once however often, and however far,
 * its results are downloaded.
 *
 * <p>Bounded memory whatever the file's size: one line's usage and model, the scanner's fixed state
 * and capture buffer (a {@code usage} larger than {@link JsonPathScanner#DEFAULT_CAPTURE_LIMIT} is not
 * Anthropic's and counts nothing), never the body or a whole line.
 *
 * <p>Confined to one exchange, like every {@link ResponseMeter}.
 */
public final class BatchResultsMeter implements ResponseMeter {

    private static final int USAGE = 0;
    private static final int MODEL = 1;
    private static final List<String> PATHS = List.of("result.message.usage", "result.message.model");
    private static final int CHUNK = 8 * 1024;

    /** Null: count tokens without pricing them. */
    private final PriceTable prices;
    private UsageFields line = new UsageFields();
    private JsonPathScanner scanner;
    /** Whether the current line has bytes other than whitespace (a cut line if the body ends here). */
    private boolean lineOpen;
    /** Whether the current line's object has closed and been counted. */
    private boolean lineCounted;
    private Usage total = Usage.ZERO;
    private byte[] scratch;

    /** @param prices what each line's tokens are priced with; null to count tokens only */
    public BatchResultsMeter(PriceTable prices) {
        this.prices = prices;
        this.scanner = newScanner();
    }

    @Override
    public void accept(ByteBuffer chunk) {
        try {
            if (chunk.hasArray()) {
                read(chunk.array(), chunk.arrayOffset() + chunk.position(), chunk.remaining());
                return;
            }
            if (scratch == null) {
                scratch = new byte[CHUNK];
            }
            for (int at = chunk.position(); at < chunk.limit(); at += CHUNK) {
                int length = Math.min(CHUNK, chunk.limit() - at);
                chunk.get(at, scratch, 0, length);
                read(scratch, 0, length);
            }
        } catch (RuntimeException e) {
            // Metering never breaks the response.
        }
    }

    private void read(byte[] bytes, int offset, int length) {
        int from = offset;
        int end = offset + length;
        for (int at = offset; at < end; at++) {
            if (bytes[at] == '\n') {
                feed(bytes, from, at - from);
                nextLine();
                from = at + 1;
            }
        }
        feed(bytes, from, end - from);
    }

    private void feed(byte[] bytes, int from, int length) {
        if (length <= 0 || lineCounted) {
            // After the line's object only whitespace (a CR) can come before its newline.
            return;
        }
        for (int i = from; i < from + length && !lineOpen; i++) {
            lineOpen = bytes[i] != ' ' && bytes[i] != '\t' && bytes[i] != '\r';
        }
        scanner.accept(bytes, from, length);
        if (scanner.state() == JsonPathScanner.State.COMPLETE) {
            lineCounted = true;
            Usage priced = prices == null ? line.usage() : line.usage(prices, true);
            total = UsageCounts.sum(total, priced);
        }
    }

    private void nextLine() {
        line = new UsageFields();
        scanner = newScanner();
        lineOpen = false;
        lineCounted = false;
    }

    /** The lines read in full so far. */
    @Override
    public Usage usage() {
        return total;
    }

    /** False while a line has begun and not ended: had the body ended here, that line was cut off. */
    @Override
    public boolean complete() {
        return !lineOpen || lineCounted;
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
