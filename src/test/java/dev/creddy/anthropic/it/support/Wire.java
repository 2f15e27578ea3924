package dev.creddy.anthropic.it.support;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Anthropic wire-format bodies for the fake upstream (see shared/anthropic-wire.md). */
public final class Wire {

    private Wire() {
    }

    /** One SSE event, framed as the API frames it. */
    public record Event(String name, String data) {
        public byte[] bytes() {
            return ("event: " + name + "\ndata: " + data + "\n\n").getBytes(StandardCharsets.UTF_8);
        }

        /** The Java SDK drops {@code ping}; every other event reaches its iterator. */
        public boolean surfacesInSdk() {
            return !name.equals("ping");
        }
    }

    public static String message(String id, String text) {
        return "{\"id\":\"" + id + "\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\","
                + "\"content\":[{\"type\":\"text\",\"text\":\"" + text + "\"}],\"stop_reason\":\"end_turn\","
                + "\"stop_sequence\":null,\"usage\":{\"input_tokens\":12,\"cache_creation_input_tokens\":0,"
                + "\"cache_read_input_tokens\":0,\"output_tokens\":6}}";
    }

    /** A non-streaming answer whose {@code usage} has these counts. */
    public static String messageWithUsage(String text, long input, long cacheCreation, long cacheRead, long output) {
        return "{\"id\":\"msg_fake_usage\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\","
                + "\"content\":[{\"type\":\"text\",\"text\":\"" + text + "\"}],\"stop_reason\":\"end_turn\","
                + "\"stop_sequence\":null,\"usage\":{\"input_tokens\":" + input + ",\"cache_creation_input_tokens\":"
                + cacheCreation + ",\"cache_read_input_tokens\":" + cacheRead + ",\"cache_creation\":{"
                + "\"ephemeral_5m_input_tokens\":" + cacheCreation + ",\"ephemeral_1h_input_tokens\":0},\"output_tokens\":"
                + output + ",\"service_tier\":\"standard\"}}";
    }

    /**
     * A streamed answer whose {@code message_start} reports these input and cache counts and whose
     * last {@code message_delta} reports {@code output} (cumulative, as the API counts), with the
     * input counts repeated there as recent streams do.
     */
    public static List<Event> eventsWithUsage(long input, long cacheCreation, long cacheRead, long output, String... pieces) {
        List<Event> events = new ArrayList<>(textEvents(pieces));
        events.set(0, new Event("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_fake_usage\","
                + "\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"claude-sonnet-4-5\","
                + "\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":" + input
                + ",\"cache_creation_input_tokens\":" + cacheCreation + ",\"cache_read_input_tokens\":" + cacheRead
                + ",\"output_tokens\":1}}}"));
        int delta = events.size() - 2;
        events.set(delta, new Event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\","
                + "\"stop_sequence\":null},\"usage\":{\"input_tokens\":" + input + ",\"cache_creation_input_tokens\":"
                + cacheCreation + ",\"cache_read_input_tokens\":" + cacheRead + ",\"output_tokens\":" + output + "}}"));
        return events;
    }

    public static String error(String type, String message) {
        return "{\"type\":\"error\",\"error\":{\"type\":\"" + type + "\",\"message\":\"" + message + "\"},"
                + "\"request_id\":\"req_fake_error\"}";
    }

    public static String modelList() {
        return "{\"data\":[{\"type\":\"model\",\"id\":\"claude-sonnet-4-5\",\"display_name\":\"Claude Sonnet 4.5\","
                + "\"created_at\":\"2025-09-29T00:00:00Z\"}],\"has_more\":false,\"first_id\":\"claude-sonnet-4-5\","
                + "\"last_id\":\"claude-sonnet-4-5\"}";
    }

    /** The full event sequence of a one-block text answer, one delta per word. */
    public static List<Event> standardEvents(String text) {
        return textEvents(text.split(" "));
    }

    /** message_start, a text block with one delta per piece (and a ping after the block start), message_delta, message_stop. */
    public static List<Event> textEvents(String... pieces) {
        List<Event> events = new ArrayList<>();
        events.add(new Event("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_fake_stream\","
                + "\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"claude-sonnet-4-5\","
                + "\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":12,"
                + "\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":1}}}"));
        events.add(new Event("content_block_start",
                "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}"));
        events.add(new Event("ping", "{\"type\": \"ping\"}"));
        for (int i = 0; i < pieces.length; i++) {
            String piece = (i == 0 ? "" : " ") + pieces[i];
            events.add(new Event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,"
                    + "\"delta\":{\"type\":\"text_delta\",\"text\":\"" + piece + "\"}}"));
        }
        events.add(new Event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}"));
        events.add(new Event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\","
                + "\"stop_sequence\":null},\"usage\":{\"output_tokens\":" + (pieces.length + 1) + "}}"));
        events.add(new Event("message_stop", "{\"type\":\"message_stop\"}"));
        return events;
    }

    /** How many events of {@code events} the Java SDK surfaces. */
    public static int surfaced(List<Event> events) {
        return (int) events.stream().filter(Event::surfacesInSdk).count();
    }
}
