package dev.creddy.anthropic.bench.micro;

import dev.creddy.anthropic.usage.ModelSniffer;
import dev.creddy.anthropic.usage.ResponseMeter;
import dev.creddy.anthropic.usage.ResponseMeters;
import dev.creddy.anthropic.usage.Usage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The per-request cost of metering: a fresh meter reads one whole response (or a sniffer one whole
 * request body), as the pumps would hand it over. Responses: a streamed Messages response of 200
 * {@code content_block_delta} events (about 10 KB) and a non-streaming one (about 8 KB), plain and
 * gzip, in 8 KB chunks (HttpClient's buffer), and the stream also one event per chunk, as a model
 * streams it. Requests: a 100 KB Messages body with {@code model} last, in the request pump's 16 KB reads.
 */
@BenchmarkMode(Mode.AverageTime)
@State(Scope.Benchmark)
public class MeteringBenchmark {

    private List<ByteBuffer> stream;
    private List<ByteBuffer> streamPerEvent;
    private List<ByteBuffer> streamGzip;
    private List<ByteBuffer> json;
    private List<ByteBuffer> jsonGzip;
    private byte[] request;

    @Setup
    public void setUp() {
        StringBuilder sse = new StringBuilder();
        List<String> events = new ArrayList<>();
        events.add("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01XFDUDYJgAACzvnptvVoYEL\","
                + "\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"claude-sonnet-4-5-20250929\","
                + "\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":2095,\"cache_creation_input_tokens\":0,"
                + "\"cache_read_input_tokens\":1024,\"output_tokens\":1}}}\n\n");
        events.add("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
                + "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n");
        events.add("event: ping\ndata: {\"type\": \"ping\"}\n\n");
        for (int i = 0; i < 200; i++) {
            events.add("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
                    + "\"delta\":{\"type\":\"text_delta\",\"text\":\" word" + i + " more\"}}\n\n");
        }
        events.add("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n");
        events.add("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\","
                + "\"stop_sequence\":null},\"usage\":{\"input_tokens\":2095,\"cache_creation_input_tokens\":0,"
                + "\"cache_read_input_tokens\":1024,\"output_tokens\":503}}\n\n");
        events.add("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
        events.forEach(sse::append);
        byte[] sseBytes = sse.toString().getBytes(StandardCharsets.UTF_8);
        stream = chunks(sseBytes, 8192);
        streamGzip = chunks(gzip(sseBytes), 8192);
        streamPerEvent = events.stream().map(event -> ByteBuffer.wrap(event.getBytes(StandardCharsets.UTF_8))).toList();

        String text = "Lorem ipsum dolor sit amet, \\\"consectetur\\\" adipiscing elit.\\n".repeat(125);
        byte[] jsonBytes = ("{\"id\":\"msg_01XFDUDYJgAACzvnptvVoYEL\",\"type\":\"message\",\"role\":\"assistant\","
                + "\"content\":[{\"type\":\"text\",\"text\":\"" + text + "\"}],\"model\":\"claude-sonnet-4-5-20250929\","
                + "\"stop_reason\":\"end_turn\",\"stop_sequence\":null,\"usage\":{\"input_tokens\":2095,"
                + "\"cache_creation_input_tokens\":null,\"cache_read_input_tokens\":null,\"output_tokens\":503,"
                + "\"service_tier\":\"standard\"}}").getBytes(StandardCharsets.UTF_8);
        json = chunks(jsonBytes, 8192);
        jsonGzip = chunks(gzip(jsonBytes), 8192);

        String message = "{\"role\":\"user\",\"content\":\"" + "x".repeat(1000) + "\"},";
        StringBuilder body = new StringBuilder("{\"max_tokens\":1024,\"stream\":true,\"messages\":[");
        while (body.length() < 100 * 1024 - message.length()) {
            body.append(message);
        }
        body.setLength(body.length() - 1);
        body.append("],\"model\":\"claude-sonnet-4-5-20250929\"}");
        request = body.toString().getBytes(StandardCharsets.UTF_8);
        checkSetUp(sseBytes.length, jsonBytes.length);
    }

    private void checkSetUp(int streamLength, int jsonLength) {
        Usage expected = Usage.ofTokens(2095, 503, 0, 1024);
        if (!sseStreamPlain().equals(expected) || !sseStreamGzip().equals(expected) || !sseStreamPerEventChunk().equals(expected)
                || !jsonResponsePlain().equals(Usage.ofTokens(2095, 503, 0, 0))
                || !jsonResponseGzip().equals(Usage.ofTokens(2095, 503, 0, 0)) || !modelSniffer100KbModelLast()
                || streamLength < 9000 || jsonLength < 7500) {
            throw new IllegalStateException("the benchmark's bodies do not meter as expected");
        }
    }

    @Benchmark
    public Usage sseStreamPlain() {
        return meter("text/event-stream", null, stream);
    }

    @Benchmark
    public Usage sseStreamPerEventChunk() {
        return meter("text/event-stream", null, streamPerEvent);
    }

    @Benchmark
    public Usage sseStreamGzip() {
        return meter("text/event-stream", "gzip", streamGzip);
    }

    @Benchmark
    public Usage jsonResponsePlain() {
        return meter("application/json", null, json);
    }

    @Benchmark
    public Usage jsonResponseGzip() {
        return meter("application/json", "gzip", jsonGzip);
    }

    @Benchmark
    public boolean modelSniffer100KbModelLast() {
        ModelSniffer sniffer = ModelSniffer.forRequest("POST", "/v1/messages").orElseThrow();
        int found = 0;
        for (int at = 0; at < request.length; at += 16 * 1024) {
            found += sniffer.accept(request, at, Math.min(16 * 1024, request.length - at)).size();
        }
        found += sniffer.end().size();
        return found == 1 && sniffer.status() == ModelSniffer.Status.COMPLETE;
    }

    private static Usage meter(String contentType, String contentEncoding, List<ByteBuffer> chunks) {
        ResponseMeter meter = ResponseMeters.forResponse("POST", "/v1/messages", 200, contentType, contentEncoding);
        for (ByteBuffer chunk : chunks) {
            meter.accept(chunk);
        }
        return meter.usage();
    }

    private static List<ByteBuffer> chunks(byte[] body, int size) {
        List<ByteBuffer> chunks = new ArrayList<>();
        for (int at = 0; at < body.length; at += size) {
            chunks.add(ByteBuffer.wrap(body, at, Math.min(size, body.length - at)).slice());
        }
        return chunks;
    }

    private static byte[] gzip(byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
            gzip.write(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
