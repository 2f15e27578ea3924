package dev.creddy.anthropic.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.usage.Bodies.Encoding;
import dev.creddy.anthropic.usage.Bodies.Feeding;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The response meters on Anthropic's wire examples: every example in every encoding, fed whole, byte
 * by byte, at random split points, in pump-sized chunks and from direct buffers.
 */
class ResponseMeteringTest {

    private static final long SEED = 0x6d65746572L;

    /** An example body and the usage it must meter. */
    record Example(String resource, String contentType, Usage expected) {
        @Override
        public String toString() {
            return resource;
        }
    }

    private static final List<Example> EXAMPLES = List.of(
            // Null cache counts read as 0; a "usage" inside a text string does not count.
            new Example("message-text.json", "application/json", Usage.ofTokens(2095, 503, 0, 0)),
            // A usage object nested in a tool's input does not count; cache_creation's details are not tokens.
            new Example("message-tool-use.json", "application/json; charset=utf-8", Usage.ofTokens(472, 89, 1024, 20480)),
            new Example("stream-text.sse", "text/event-stream; charset=utf-8", Usage.ofTokens(12, 4, 0, 0)),
            // message_delta repeats input and cache counts: they overwrite message_start's.
            new Example("stream-thinking-tool-use.sse", "text/event-stream", Usage.ofTokens(2679, 89, 512, 1536)),
            // Two message_deltas: the last output count wins; a null cache count leaves message_start's.
            new Example("stream-two-deltas.sse", "text/event-stream", Usage.ofTokens(25, 64, 100, 300)));

    static Stream<Arguments> everyExampleEncodingAndFeeding() {
        List<Arguments> cases = new ArrayList<>();
        for (Example example : EXAMPLES) {
            for (Encoding encoding : Encoding.values()) {
                for (Feeding feeding : Feeding.values()) {
                    cases.add(Arguments.of(example, encoding, feeding));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("everyExampleEncodingAndFeeding")
    void metersTheExampleLeavingEveryChunkUntouched(Example example, Encoding encoding, Feeding feeding) {
        ResponseMeter meter = ResponseMeters.forResponse("POST", "/v1/messages", 200, example.contentType(),
                encoding.contentEncoding);
        byte[] body = encoding.encode(Bodies.resource(example.resource()));

        List<String> moved = Bodies.feedChecked(meter, body, feeding, SEED);

        assertEquals(List.of(), moved);
        assertEquals(example.expected(), meter.usage());
    }

    @ParameterizedTest(name = "line ends {0}")
    @CsvSource({"CRLF", "CR"})
    void readsEveryLineEndingSseAllows(String ending) {
        String separator = ending.equals("CRLF") ? "\r\n" : "\r";
        byte[] body = new String(Bodies.resource("stream-thinking-tool-use.sse"), StandardCharsets.UTF_8)
                .replace("\n", separator).getBytes(StandardCharsets.UTF_8);
        for (Feeding feeding : Feeding.values()) {
            ResponseMeter meter = ResponseMeters.forResponse("POST", "/v1/messages", 200, "text/event-stream", null);
            Bodies.feedChecked(meter, body, feeding, SEED);
            assertEquals(Usage.ofTokens(2679, 89, 512, 1536), meter.usage(), feeding.name());
        }
    }

    @ParameterizedTest(name = "cut {0}")
    @CsvSource({
        // Cut after message_start's data line, before its blank line: not dispatched yet.
        "-1, 0, 0",
        // Cut after its blank line: its input and initial output count.
        "1, 12, 1",
        // Cut inside the message_delta data line.
        "200, 12, 1",
    })
    void aStreamCutOffMetersTheEventsItFinished(int afterMessageStart, long input, long output) {
        byte[] whole = Bodies.resource("stream-text.sse");
        int dataLineEnd = new String(whole, StandardCharsets.UTF_8).indexOf("\n\nevent: content_block_start") + 1;
        int cutAt = afterMessageStart == 200
                ? new String(whole, StandardCharsets.UTF_8).indexOf("\"output_tokens\":4") : dataLineEnd + Math.max(0, afterMessageStart);
        ResponseMeter meter = ResponseMeters.forResponse("POST", "/v1/messages", 200, "text/event-stream", null);
        Bodies.feedChecked(meter, java.util.Arrays.copyOf(whole, cutAt), Feeding.ONE_BYTE, SEED);
        assertEquals(Usage.ofTokens(input, output, 0, 0), meter.usage());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
        # a multi-line data field is joined with LF, which JSON reads as whitespace
        multi-line data      | event: message_start\\ndata: {"type":"message_start","message":\\ndata: {"usage":{"input_tokens":7,"output_tokens":1}}}\\n\\n | 7 | 1
        # no space after the colon, an id field and a retry field
        terse fields         | id: 1\\nevent:message_delta\\nretry: 10\\ndata:{"type":"message_delta","usage":{"output_tokens":9}}\\n\\n | 0 | 9
        # the event line comes from the event name, not the data's type
        other event's data   | event: content_block_delta\\ndata: {"type":"message_delta","usage":{"output_tokens":9}}\\n\\n | 0 | 0
        # an error event mid-stream carries no usage
        error event          | event: message_start\\ndata: {"type":"message_start","message":{"usage":{"input_tokens":3,"output_tokens":1}}}\\n\\nevent: error\\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\\n\\n | 3 | 1
        # data that is not JSON is skipped, the next event still counts
        broken data          | event: message_delta\\ndata: {"usage":\\n\\nevent: message_delta\\ndata: {"usage":{"output_tokens":5}}\\n\\n | 0 | 5
        # a usage that is not an object, and negative or fractional counts, count nothing
        odd usage values     | event: message_delta\\ndata: {"usage":[1]}\\n\\nevent: message_delta\\ndata: {"usage":{"output_tokens":-4,"input_tokens":1.5}}\\n\\n | 0 | 0
        # an event with no blank line after it is not dispatched
        undispatched         | event: message_delta\\ndata: {"usage":{"output_tokens":5}}\\n | 0 | 0
        # a field without a colon: 'data' alone is an empty data line
        bare field names     | event: message_delta\\ndata\\ndata: {"usage":{"output_tokens":6}}\\n\\n | 0 | 6
        """)
    void readsSseFramingAsTheSpecSays(String name, String stream, long input, long output) {
        byte[] body = stream.replace("\\n", "\n").getBytes(StandardCharsets.UTF_8);
        for (Feeding feeding : List.of(Feeding.WHOLE, Feeding.ONE_BYTE, Feeding.RANDOM_SPLITS)) {
            ResponseMeter meter = ResponseMeters.forResponse("POST", "/v1/messages", 200, "text/event-stream", null);
            Bodies.feedChecked(meter, body, feeding, SEED);
            assertEquals(Usage.ofTokens(input, output, 0, 0), meter.usage(), feeding.name());
        }
    }

    @Test
    void aHugeContentBlockDeltaIsSkippedWithoutBeingKept() {
        StringBuilder stream = new StringBuilder(new String(Bodies.resource("stream-text.sse"), StandardCharsets.UTF_8));
        String huge = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
                + "{\"type\":\"text_delta\",\"text\":\"" + "x".repeat(5 << 20) + "\"}}\n\n";
        stream.insert(stream.indexOf("event: content_block_stop"), huge);
        SseUsageMeter meter = new SseUsageMeter();
        Bodies.Feeding.TYPICAL_8_TO_16_KB.feed(stream.toString().getBytes(StandardCharsets.UTF_8), SEED, meter::accept);
        assertEquals(Usage.ofTokens(12, 4, 0, 0), meter.usage());
        assertTrue(meter.retainedBytes() < 4096, "retained " + meter.retainedBytes());
    }

    @Test
    void aMessageDeltaOverTheCaptureLimitIsNotRead() {
        String stream = "event: message_delta\ndata: {\"usage\":{\"output_tokens\":5},\"pad\":\""
                + "p".repeat(JsonPathScanner.DEFAULT_CAPTURE_LIMIT) + "\"}\n\n"
                + "event: message_delta\ndata: {\"usage\":{\"input_tokens\":2}}\n\n";
        SseUsageMeter meter = new SseUsageMeter();
        Feeding.RANDOM_SPLITS.feed(stream.getBytes(StandardCharsets.UTF_8), SEED, meter::accept);
        assertEquals(Usage.ofTokens(2, 0, 0, 0), meter.usage());
        assertTrue(meter.retainedBytes() <= JsonPathScanner.DEFAULT_CAPTURE_LIMIT + 64);
    }

    @Test
    void aTwentyMegabyteJsonResponseIsMeteredInFixedMemory() {
        byte[] head = ("{\"id\":\"msg_1\",\"type\":\"message\",\"content\":[{\"type\":\"text\",\"text\":\"").getBytes(StandardCharsets.US_ASCII);
        byte[] tail = "\"}],\"usage\":{\"input_tokens\":10,\"output_tokens\":20000}}".getBytes(StandardCharsets.US_ASCII);
        byte[] body = new byte[head.length + (20 << 20) + tail.length];
        System.arraycopy(head, 0, body, 0, head.length);
        java.util.Arrays.fill(body, head.length, head.length + (20 << 20), (byte) 'A');
        System.arraycopy(tail, 0, body, body.length - tail.length, tail.length);

        JsonUsageMeter plain = new JsonUsageMeter();
        Feeding.TYPICAL_8_TO_16_KB.feed(body, SEED, plain::accept);
        assertEquals(Usage.ofTokens(10, 20000, 0, 0), plain.usage());
        assertTrue(plain.retainedBytes() < 4096, "retained " + plain.retainedBytes());

        JsonUsageMeter inner = new JsonUsageMeter();
        ResponseMeter gzip = InflatingMeter.gzip(inner);
        Feeding.TYPICAL_8_TO_16_KB.feed(Bodies.gzip(body), SEED, gzip::accept);
        assertEquals(Usage.ofTokens(10, 20000, 0, 0), gzip.usage());
        assertTrue(inner.retainedBytes() < 4096, "retained " + inner.retainedBytes());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
        not JSON              | <html>502 Bad Gateway</html>
        cut off before usage  | {"id":"msg_1","content":[{"type":"text","text":"Hel
        usage not an object   | {"usage":"lots"}
        usage too large       | {"usage":{"input_tokens":1,"pad":"PAD"}}
        empty                 | ''
        """)
    void aBodyWithoutReadableUsageMetersZero(String name, String body) {
        String text = body.replace("PAD", "p".repeat(JsonPathScanner.DEFAULT_CAPTURE_LIMIT));
        ResponseMeter meter = ResponseMeters.forResponse("POST", "/v1/messages", 200, "application/json", null);
        Bodies.feedChecked(meter, text.getBytes(StandardCharsets.UTF_8), Feeding.RANDOM_SPLITS, SEED);
        assertEquals(Usage.ZERO, meter.usage());
    }

    @Test
    void duplicateTopLevelUsageCountsTheLastAsTheSdksParsersDo() {
        ResponseMeter meter = ResponseMeters.forResponse("POST", "/v1/messages", 200, "application/json", null);
        Bodies.feedChecked(meter, "{\"usage\":{\"input_tokens\":1,\"output_tokens\":2},\"usage\":{\"output_tokens\":3}}"
                .getBytes(StandardCharsets.UTF_8), Feeding.ONE_BYTE, SEED);
        assertEquals(Usage.ofTokens(1, 3, 0, 0), meter.usage());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"gzip", "deflate"})
    void corruptCompressedDataMetersWhatWasReadAndNeverThrows(String coding) {
        byte[] body = Bodies.resource("stream-thinking-tool-use.sse");
        byte[] encoded = coding.equals("gzip") ? Bodies.gzip(body) : Bodies.deflate(body, false);
        // Garble the second half of the compressed data.
        for (int i = encoded.length / 2; i < encoded.length - 8; i++) {
            encoded[i] = (byte) (encoded[i] * 31 + 7);
        }
        for (Feeding feeding : Feeding.values()) {
            ResponseMeter meter = ResponseMeters.forResponse("POST", "/v1/messages", 200, "text/event-stream", coding);
            assertEquals(List.of(), Bodies.feedChecked(meter, encoded, feeding, SEED));
            // message_start sits in the intact first half. What zlib inflated from the chunk that held the
            // corruption is lost with the error, so only small chunks are sure to have metered it.
            long input = meter.usage().inputTokens();
            if (feeding == Feeding.ONE_BYTE || feeding == Feeding.RANDOM_SPLITS) {
                assertEquals(2679, input, feeding.name());
            } else {
                assertTrue(input == 0 || input == 2679, feeding.name() + ": " + input);
            }
        }
    }

    @Test
    void bytesAfterTheLastGzipMemberAreIgnored() {
        byte[] body = Bodies.resource("stream-text.sse");
        byte[] encoded = Bodies.concat(Bodies.gzip(body), new byte[] {0, 0, 0, 0, 'x'});
        ResponseMeter meter = ResponseMeters.forResponse("POST", "/v1/messages", 200, "text/event-stream", "gzip");
        Bodies.feedChecked(meter, encoded, Feeding.ONE_BYTE, SEED);
        assertEquals(Usage.ofTokens(12, 4, 0, 0), meter.usage());
    }

    @ParameterizedTest(name = "{0} {1} {2} {3} {4} meters: {5}")
    @CsvSource(nullValues = "NULL", textBlock = """
        POST, /v1/messages,                200, application/json,                 NULL,     JsonUsageMeter
        POST, /v1/messages,                201, Application/JSON; charset=utf-8,  identity, JsonUsageMeter
        POST, /v1/messages,                200, text/event-stream,                NULL,     SseUsageMeter
        POST, /v1/messages,                200, text/event-stream,                gzip,     InflatingMeter
        POST, /v1/messages,                200, application/json,                 X-GZIP,   InflatingMeter
        POST, /v1/messages,                200, application/json,                 deflate,  InflatingMeter
        POST, /v1/messages,                200, application/json,                 br,       NONE
        POST, /v1/messages,                200, application/json,                 zstd,     NONE
        POST, /v1/messages,                200, application/json,                 'gzip, br', NONE
        POST, /v1/messages,                200, text/plain,                       NULL,     NONE
        POST, /v1/messages,                200, NULL,                             NULL,     NONE
        POST, /v1/messages,                400, application/json,                 NULL,     NONE
        POST, /v1/messages,                529, application/json,                 NULL,     NONE
        POST, /v1/messages/count_tokens,   200, application/json,                 NULL,     NONE
        POST, /v1/messages/batches,        200, application/json,                 NULL,     NONE
        POST, /v1/messages/,               200, application/json,                 NULL,     NONE
        POST, /v1/complete,                200, application/json,                 NULL,     NONE
        GET,  /v1/messages,                200, application/json,                 NULL,     NONE
        """)
    void metersOnlySuccessfulMessagesResponses(String method, String path, int status, String contentType,
            String contentEncoding, String meter) {
        ResponseMeter chosen = ResponseMeters.forResponse(method, path, status, contentType, contentEncoding);
        if (meter.equals("NONE")) {
            assertSame(ResponseMeter.NONE, chosen);
        } else {
            assertEquals(meter, chosen.getClass().getSimpleName());
        }
    }
}
