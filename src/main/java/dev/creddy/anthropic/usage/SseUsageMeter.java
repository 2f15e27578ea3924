package dev.creddy.anthropic.usage;

import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Meters a streamed Messages response ({@code text/event-stream}) as its events go by. It follows the
 * SSE framing (lines end in LF, CRLF or CR; {@code event:} and {@code data:} fields; several data lines
 * of one event joined by LF; a blank line dispatches the event) and keeps the data of only two events:
 * {@code message_start}, whose {@code message.usage} starts the count, and {@code message_delta}, whose
 * {@code usage} fields overwrite it (they are cumulative, and recent streams repeat the input and cache
 * counts there). Every other event's data, however long, is skipped without being kept. The
 * {@code event:} line must come before the {@code data:} lines, as Anthropic sends them; an event's
 * data over {@value JsonPathScanner#DEFAULT_CAPTURE_LIMIT} bytes is not read. A stream cut off meters
 * the events it finished.
 *
 * <p>Confined to one exchange, like every {@link ResponseMeter}.
 */
final class SseUsageMeter implements ResponseMeter {

    private static final byte LINE_START = 0;
    private static final byte FIELD = 1;
    private static final byte EVENT_VALUE = 2;
    private static final byte DATA_VALUE = 3;
    private static final byte SKIP_LINE = 4;

    private static final byte OTHER = 0;
    private static final byte MESSAGE_START = 1;
    private static final byte MESSAGE_DELTA = 2;

    private static final byte[] EVENT = ascii("event");
    private static final byte[] DATA = ascii("data");
    private static final byte[] MESSAGE_START_NAME = ascii("message_start");
    private static final byte[] MESSAGE_DELTA_NAME = ascii("message_delta");
    private static final byte[] MESSAGE_STOP_NAME = ascii("message_stop");
    private static final byte[] LINE_FEED = {'\n'};
    private static final int CHUNK = 4096;

    private final UsageFields fields = new UsageFields();
    private final PriceTable prices;
    /** The stream's {@code message_stop} arrived: its usage is the upstream's last word. */
    private boolean stopped;
    private final byte[] name = new byte[16];
    private int nameLength;
    private byte state = LINE_START;
    private boolean afterCarriageReturn;
    private boolean valueStarted;
    private byte event = OTHER;
    private byte[] data = new byte[0];
    private int dataLength;
    private boolean dataLines;
    private boolean dataOverflow;
    private byte[] scratch;

    /** A meter that counts tokens without pricing them. */
    SseUsageMeter() {
        this(null);
    }

    /** @param prices what the stream's tokens are priced with, or null to count them only */
    SseUsageMeter(PriceTable prices) {
        this.prices = prices;
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
            // Metering never breaks the response: a stream we cannot read meters what was read so far.
        }
    }

    @Override
    public Usage usage() {
        return prices == null ? fields.usage() : fields.usage(prices, false);
    }

    /** Whether {@code message_stop} arrived; a stream cut before it (or ended by an error event) is partial. */
    @Override
    public boolean complete() {
        return stopped;
    }

    /** The bytes this meter holds now, for tests of the memory bound. */
    int retainedBytes() {
        return name.length + data.length + (scratch == null ? 0 : scratch.length);
    }

    private void read(byte[] bytes, int offset, int length) {
        int end = offset + length;
        int i = offset;
        while (i < end) {
            byte b = bytes[i];
            if (afterCarriageReturn) {
                afterCarriageReturn = false;
                if (b == '\n') {
                    // The LF of a CRLF: the line already ended at the CR.
                    i++;
                    continue;
                }
            }
            switch (state) {
                case LINE_START -> {
                    if (b == '\n' || b == '\r') {
                        dispatch();
                        lineEnded(b);
                        i++;
                    } else {
                        nameLength = 0;
                        state = FIELD;
                    }
                }
                case FIELD -> {
                    i++;
                    if (b == ':') {
                        startValue();
                    } else if (b == '\n' || b == '\r') {
                        // A field with no colon has an empty value (the SSE spec).
                        startValue();
                        if (state == DATA_VALUE) {
                            dataLine();
                        } else if (state == EVENT_VALUE) {
                            event = OTHER;
                        }
                        lineEnded(b);
                    } else if (nameLength < name.length) {
                        name[nameLength++] = b;
                    } else {
                        state = SKIP_LINE;
                    }
                }
                case EVENT_VALUE -> {
                    i++;
                    if (b == '\n' || b == '\r') {
                        if (Arrays.equals(name, 0, nameLength, MESSAGE_STOP_NAME, 0, MESSAGE_STOP_NAME.length)) {
                            stopped = true;
                        }
                        event = Arrays.equals(name, 0, nameLength, MESSAGE_START_NAME, 0, MESSAGE_START_NAME.length)
                                ? MESSAGE_START
                                : Arrays.equals(name, 0, nameLength, MESSAGE_DELTA_NAME, 0, MESSAGE_DELTA_NAME.length)
                                        ? MESSAGE_DELTA : OTHER;
                        lineEnded(b);
                    } else if (!valueStarted && b == ' ') {
                        valueStarted = true;
                    } else {
                        valueStarted = true;
                        if (nameLength < name.length) {
                            name[nameLength++] = b;
                        } else {
                            // Longer than any event name we read.
                            nameLength = 0;
                            event = OTHER;
                            state = SKIP_LINE;
                        }
                    }
                }
                case DATA_VALUE -> {
                    if (!valueStarted) {
                        valueStarted = true;
                        if (b == ' ') {
                            i++;
                            continue;
                        }
                    }
                    int from = i;
                    while (i < end && bytes[i] != '\n' && bytes[i] != '\r') {
                        i++;
                    }
                    appendData(bytes, from, i - from);
                    if (i < end) {
                        lineEnded(bytes[i]);
                        i++;
                    }
                }
                case SKIP_LINE -> {
                    while (i < end && bytes[i] != '\n' && bytes[i] != '\r') {
                        i++;
                    }
                    if (i < end) {
                        lineEnded(bytes[i]);
                        i++;
                    }
                }
                default -> throw new IllegalStateException("state " + state);
            }
        }
    }

    /** After {@code field:} (or a whole line naming a field): where its value goes. */
    private void startValue() {
        valueStarted = false;
        if (Arrays.equals(name, 0, nameLength, EVENT, 0, EVENT.length)) {
            nameLength = 0;
            state = EVENT_VALUE;
        } else if (Arrays.equals(name, 0, nameLength, DATA, 0, DATA.length) && event != OTHER) {
            state = DATA_VALUE;
            dataLine();
        } else {
            // A comment (empty name), id, retry, an unknown field, or the data of an event we do not read.
            state = SKIP_LINE;
        }
    }

    /** A new data line starts: lines after the first are joined with LF. */
    private void dataLine() {
        if (dataLines) {
            appendData(LINE_FEED, 0, 1);
        }
        dataLines = true;
    }

    private void appendData(byte[] bytes, int from, int length) {
        if (state != DATA_VALUE || dataOverflow || length == 0) {
            return;
        }
        int needed = dataLength + length;
        if (needed > JsonPathScanner.DEFAULT_CAPTURE_LIMIT) {
            dataOverflow = true;
            return;
        }
        if (needed > data.length) {
            data = Arrays.copyOf(data, Math.min(JsonPathScanner.DEFAULT_CAPTURE_LIMIT,
                    Math.max(needed, Math.max(512, data.length * 2))));
        }
        System.arraycopy(bytes, from, data, dataLength, length);
        dataLength = needed;
    }

    private void lineEnded(byte terminator) {
        afterCarriageReturn = terminator == '\r';
        state = LINE_START;
    }

    /** A blank line: the event is complete. */
    private void dispatch() {
        if (event != OTHER && dataLines && !dataOverflow) {
            CapturedJson.value(data, dataLength).filter(JsonObject.class::isInstance).map(JsonObject.class::cast)
                    .ifPresent(this::count);
        }
        event = OTHER;
        dataLength = 0;
        dataLines = false;
        dataOverflow = false;
    }

    private void count(JsonObject eventData) {
        if (event == MESSAGE_START) {
            JsonValue message = eventData.get("message");
            if (message instanceof JsonObject start) {
                fields.model(start.get("model"));
                if (start.get("usage") instanceof JsonObject usage) {
                    fields.reset();
                    fields.overwrite(usage);
                }
            }
        } else if (eventData.get("usage") instanceof JsonObject usage) {
            fields.overwrite(usage);
        }
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
