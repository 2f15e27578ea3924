package dev.creddy.anthropic.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 19: the cost of each usage shape, as the Messages and Batches docs show them (docs/anthropic-wire.md
 * §5, §6), against a hand computation. Sonnet 4.5 per token: 3 µ$ in, 15 µ$ out, 3.75 µ$ 5-minute write,
 * 6 µ$ 1-hour write, 0.3 µ$ read; Haiku 4.5: 1, 5, 1.25, 2, 0.1.
 */
class MeteredCostTest {

    private static final PriceTable PRICES = PriceTable.builtIn();

    private static Usage meter(ResponseMeter meter, String body, Bodies.Feeding feeding) {
        feeding.feed(body.getBytes(StandardCharsets.UTF_8), 19, meter::accept);
        return meter.usage();
    }

    private static String event(String name, String data) {
        return "event: " + name + "\ndata: " + data + "\n\n";
    }

    private static final String START_CACHED = event("message_start", """
            {"type":"message_start","message":{"id":"msg_01","type":"message","role":"assistant","content":[],\
            "model":"claude-sonnet-4-5-20250929","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":12,\
            "cache_creation_input_tokens":3000,"cache_read_input_tokens":20000,\
            "cache_creation":{"ephemeral_5m_input_tokens":1000,"ephemeral_1h_input_tokens":2000},"output_tokens":1}}}""");
    private static final String TEXT = event("content_block_start",
            "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}")
            + event("ping", "{\"type\": \"ping\"}")
            + event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}")
            + event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}");
    private static final String STOP = event("message_stop", "{\"type\":\"message_stop\"}");

    @ParameterizedTest
    @EnumSource(Bodies.Feeding.class)
    void cacheWritesOfBothLifetimesAreNotCountedTwiceAcrossStartAndDelta(Bodies.Feeding feeding) {
        // The delta repeats every count, cumulatively (recent streams do): the last one stands.
        String stream = START_CACHED + TEXT + event("message_delta", """
                {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":12,\
                "cache_creation_input_tokens":3000,"cache_read_input_tokens":20000,\
                "cache_creation":{"ephemeral_5m_input_tokens":1000,"ephemeral_1h_input_tokens":2000},"output_tokens":250}}""")
                + STOP;
        SseUsageMeter meter = new SseUsageMeter(PRICES);
        Usage used = meter(meter, stream, feeding);
        // 12×3 + 250×15 + 1000×3.75 + 2000×6 + 20000×0.3 = 36 + 3750 + 3750 + 12000 + 6000
        assertEquals(25_536, used.costMicros());
        assertEquals(Usage.ofTokens(12, 250, 3000, 20000), new Usage(0, used.inputTokens(), used.outputTokens(),
                used.cacheCreationInputTokens(), used.cacheReadInputTokens(), 0));
        assertEquals(0, used.unpriced());
        assertTrue(meter.complete());
    }

    @ParameterizedTest
    @EnumSource(Bodies.Feeding.class)
    void usageOnlyInMessageDeltaIsPricedWithTheStartsModel(Bodies.Feeding feeding) {
        String stream = event("message_start", """
                {"type":"message_start","message":{"id":"msg_02","type":"message","role":"assistant","content":[],\
                "model":"claude-sonnet-4-5","stop_reason":null,"stop_sequence":null}}""")
                + TEXT + event("message_delta", """
                {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},\
                "usage":{"input_tokens":1000,"cache_read_input_tokens":null,"output_tokens":100}}""") + STOP;
        // 1000×3 + 100×15
        assertEquals(4_500, meter(new SseUsageMeter(PRICES), stream, feeding).costMicros());
    }

    @ParameterizedTest
    @EnumSource(Bodies.Feeding.class)
    void aStreamCutAfterMessageStartIsChargedWhatWasReportedAndIsPartial(Bodies.Feeding feeding) {
        SseUsageMeter meter = new SseUsageMeter(PRICES);
        Usage used = meter(meter, START_CACHED + TEXT, feeding);
        // 12×3 + 1×15 + 1000×3.75 + 2000×6 + 20000×0.3
        assertEquals(21_801, used.costMicros());
        assertFalse(meter.complete());
    }

    @ParameterizedTest
    @EnumSource(Bodies.Feeding.class)
    void aRefusalIsChargedForWhatItUsed(Bodies.Feeding feeding) {
        String stream = event("message_start", """
                {"type":"message_start","message":{"id":"msg_03","type":"message","role":"assistant","content":[],\
                "model":"claude-sonnet-4-5","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":40,"output_tokens":1}}}""")
                + event("message_delta", """
                {"type":"message_delta","delta":{"stop_reason":"refusal","stop_sequence":null},"usage":{"output_tokens":5}}""")
                + STOP;
        SseUsageMeter meter = new SseUsageMeter(PRICES);
        // 40×3 + 5×15
        assertEquals(195, meter(meter, stream, feeding).costMicros());
        assertTrue(meter.complete());
    }

    @ParameterizedTest
    @EnumSource(Bodies.Feeding.class)
    void aStreamEndedByAnErrorEventIsPartial(Bodies.Feeding feeding) {
        SseUsageMeter meter = new SseUsageMeter(PRICES);
        Usage used = meter(meter, START_CACHED + TEXT + event("error",
                "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}"), feeding);
        assertEquals(21_801, used.costMicros());
        assertFalse(meter.complete());
    }

    @ParameterizedTest
    @EnumSource(Bodies.Feeding.class)
    void aJsonMessageWithBothCacheLifetimes(Bodies.Feeding feeding) {
        String body = """
                {"id":"msg_04","type":"message","role":"assistant","model":"claude-haiku-4-5-20251001",
                 "content":[{"type":"text","text":"Hello"}],"stop_reason":"end_turn","stop_sequence":null,
                 "usage":{"input_tokens":100,"cache_creation_input_tokens":400,"cache_read_input_tokens":1000,
                  "cache_creation":{"ephemeral_5m_input_tokens":100,"ephemeral_1h_input_tokens":300},"output_tokens":50}}""";
        // 100×1 + 50×5 + 100×1.25 + 300×2 + 1000×0.1
        assertEquals(1_175, meter(new JsonUsageMeter(PRICES), body, feeding).costMicros());
    }

    @ParameterizedTest
    @EnumSource(Bodies.Feeding.class)
    void anUnknownModelIsUnpricedNotFree(Bodies.Feeding feeding) {
        String body = "{\"model\":\"claude-next-9\",\"usage\":{\"input_tokens\":100,\"output_tokens\":50}}";
        Usage used = meter(new JsonUsageMeter(PRICES), body, feeding);
        assertEquals(0, used.costMicros());
        assertEquals(1, used.unpriced());
        assertEquals(150, used.tokens());
    }

    @ParameterizedTest
    @EnumSource(Bodies.Feeding.class)
    void batchResultsArePricedLineByLineAtTheBatchRate(Bodies.Feeding feeding) {
        String results = """
                {"custom_id":"a","result":{"type":"succeeded","message":{"id":"msg_05","type":"message","role":"assistant",\
                "model":"claude-sonnet-4-5-20250929","content":[{"type":"text","text":"usage"}],"stop_reason":"end_turn",\
                "stop_sequence":null,"usage":{"input_tokens":1000,"output_tokens":200}}}}
                {"custom_id":"b","result":{"type":"errored","error":{"type":"error","error":{"type":"invalid_request_error",\
                "message":"bad"}}}}
                {"custom_id":"c","result":{"type":"succeeded","message":{"id":"msg_06","type":"message","role":"assistant",\
                "model":"claude-haiku-4-5","content":[],"stop_reason":"end_turn","stop_sequence":null,\
                "usage":{"input_tokens":10,"output_tokens":10}}}}""";
        BatchResultsMeter meter = new BatchResultsMeter(PRICES);
        feeding.feed(results.getBytes(StandardCharsets.UTF_8), 7, meter::accept);
        // (1000×3 + 200×15) / 2 + (10×1 + 10×5) / 2 = 3000 + 30
        assertEquals(3_030, meter.usage().costMicros());
        assertEquals(1220, meter.usage().tokens());
    }

    @org.junit.jupiter.api.Test
    void aResultsDownloadBrokenOffMidLineCountsTheLinesReadInFullAndIsPartial() {
        String line = "{\"custom_id\":\"a\",\"result\":{\"type\":\"succeeded\",\"message\":{\"id\":\"msg_05\","
                + "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\",\"content\":[],"
                + "\"stop_reason\":\"end_turn\",\"stop_sequence\":null,\"usage\":{\"input_tokens\":1000,\"output_tokens\":200}}}}";
        BatchResultsMeter meter = new BatchResultsMeter(PRICES);
        byte[] cut = (line + "\r\n" + line.substring(0, line.indexOf("\"usage\""))).getBytes(StandardCharsets.UTF_8);
        meter.accept(ByteBuffer.wrap(cut));
        assertEquals(3_000, meter.usage().costMicros(), "the first line only: (1000×3 + 200×15) / 2");
        assertEquals(false, meter.complete(), "a line was cut off");
        // The same line whole, without a newline after it, counts as soon as its object closes.
        meter.accept(ByteBuffer.wrap(line.substring(line.indexOf("\"usage\"")).getBytes(StandardCharsets.UTF_8)));
        assertEquals(6_000, meter.usage().costMicros());
        assertEquals(true, meter.complete());
        assertEquals(2_400, meter.usage().tokens());
    }

    @org.junit.jupiter.api.Test
    void metersStillCountWithoutATable() {
        SseUsageMeter meter = new SseUsageMeter();
        meter.accept(ByteBuffer.wrap(START_CACHED.getBytes(StandardCharsets.UTF_8)));
        assertEquals(Usage.ofTokens(12, 1, 3000, 20000), meter.usage());
    }
}
