package dev.creddy.anthropic.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.usage.Bodies.Feeding;
import dev.creddy.anthropic.usage.ModelSniffer.Model;
import dev.creddy.anthropic.usage.ModelSniffer.Model.Kind;
import dev.creddy.anthropic.usage.ModelSniffer.Status;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ModelSnifferTest {

    private static final long SEED = 0x736e6966L;

    /** Sniffs {@code body} fed in {@code feeding}'s chunks; every model as NAME:value or KIND:value. */
    private static Sniffed sniff(String method, String path, String body, Feeding feeding) {
        ModelSniffer sniffer = ModelSniffer.forRequest(method, path).orElseThrow();
        List<String> models = new ArrayList<>();
        feeding.feed(body.getBytes(StandardCharsets.UTF_8), SEED, chunk -> {
            Bodies.Snapshot before = Bodies.Snapshot.of(chunk);
            sniffer.accept(chunk).forEach(model -> models.add(text(model)));
            assertTrue(before.unchanged(), "the sniffer moved a chunk");
        });
        sniffer.end().forEach(model -> models.add(text(model)));
        assertEquals(models, sniffer.models().stream().map(ModelSnifferTest::text).toList(),
                "models() holds what accept() and end() reported");
        return new Sniffed(sniffer.status(), String.join(" ", models));
    }

    private static String text(Model model) {
        return model.kind() == Kind.NAME ? model.value() : model.kind() + ":" + model.value();
    }

    private record Sniffed(Status status, String models) {
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', nullValues = "NONE", textBlock = """
        # name                               | body                                                                      | status    | models
        plain                                | {"model":"claude-sonnet-4-5","max_tokens":1024,"messages":[]}            | COMPLETE  | claude-sonnet-4-5
        model last after messages            | {"messages":[{"role":"user","content":"hi"}],"model":"claude-haiku-4-5"} | COMPLETE  | claude-haiku-4-5
        unicode escapes decode               | {"model":"\\u0063laude-opus-4"}                                          | COMPLETE  | claude-opus-4
        escaped key decodes                  | {"mod\\u0065l":"claude-opus-4"}                                          | COMPLETE  | claude-opus-4
        escaped solidus and quote            | {"model":"a\\/b\\"c"}                                                    | COMPLETE  | a/b"c
        duplicate keys: both reported        | {"model":"claude-haiku-4-5","model":"claude-opus-4"}                     | COMPLETE  | claude-haiku-4-5 claude-opus-4
        nested model does not count          | {"metadata":{"model":"claude-opus-4"},"tools":[{"model":"x"}],"model":"claude-haiku-4-5"} | COMPLETE | claude-haiku-4-5
        model named inside a string          | {"system":"\\"model\\":\\"claude-opus-4\\"","model":"claude-haiku-4-5"}  | COMPLETE  | claude-haiku-4-5
        key that only starts like model      | {"models":"claude-opus-4","mode":"x","model":"claude-haiku-4-5"}         | COMPLETE  | claude-haiku-4-5
        no model                             | {"max_tokens":1024,"messages":[]}                                        | NO_MODEL  | ''
        nested model only                    | {"metadata":{"model":"claude-opus-4"}}                                   | NO_MODEL  | ''
        number                               | {"model":42}                                                             | COMPLETE  | NOT_A_STRING:42
        object                               | {"model":{"name":"claude-opus-4"}}                                       | COMPLETE  | NOT_A_STRING:{"name":"claude-opus-4"}
        null                                 | {"model":null}                                                           | COMPLETE  | NOT_A_STRING:null
        whitespace everywhere                | \\t{ "model" :\\r\\n "claude-haiku-4-5" } \\n                          | COMPLETE  | claude-haiku-4-5
        top-level array                      | [{"model":"claude-opus-4"}]                                              | NO_MODEL  | ''
        not JSON                             | model=claude-opus-4                                                      | NOT_JSON  | ''
        cut off after the model              | {"model":"claude-opus-4","messages":[                                    | NOT_JSON  | claude-opus-4
        trailing garbage                     | {"model":"claude-haiku-4-5"} x                                           | NOT_JSON  | claude-haiku-4-5
        two documents                        | {"model":"a"}{"model":"b"}                                               | NOT_JSON  | a
        trailing comma                       | {"model":"a",}                                                           | NOT_JSON  | a
        bad escape                           | {"model":"\\x63laude"}                                                   | NOT_JSON  | ''
        raw control character                | {"model":"claude\\u0001"}                                                | NOT_JSON  | ''
        misspelled literal                   | {"stream":ture,"model":"a"}                                              | NOT_JSON  | ''
        letters in a number                  | {"max_tokens":12ab,"model":"a"}                                          | NOT_JSON  | ''
        mismatched brackets                  | {"messages":[},"model":"a"}                                              | NOT_JSON  | ''
        missing colon                        | {"model" "a"}                                                            | NOT_JSON  | ''
        empty body                           | ''                                                                       | NOT_JSON  | ''
        """)
    void readsTheTopLevelModel(String name, String body, Status status, String models) {
        for (Feeding feeding : List.of(Feeding.WHOLE, Feeding.ONE_BYTE, Feeding.RANDOM_SPLITS, Feeding.DIRECT_RANDOM_SPLITS)) {
            String wire = body.replace("\\t", "\t").replace("\\r", "\r").replace("\\n", "\n").replace("\\u0001", "\u0001");
            assertEquals(new Sniffed(status, models), sniff("POST", "/v1/messages", wire, feeding), feeding.name());
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
        every request's model    | {"requests":[{"custom_id":"a","params":{"model":"claude-haiku-4-5","max_tokens":10,"messages":[]}},{"custom_id":"b","params":{"messages":[],"model":"claude-opus-4"}}]} | COMPLETE | claude-haiku-4-5 claude-opus-4
        a top-level model is not the batch's | {"model":"x","requests":[{"params":{"model":"claude-haiku-4-5"}}]}                                          | COMPLETE | claude-haiku-4-5
        models elsewhere do not count | {"requests":[{"model":"x","params":{"metadata":{"model":"y"}}}]}                                              | NO_MODEL | ''
        requests not an array    | {"requests":{"params":{"model":"x"}}}                                                                            | NO_MODEL | ''
        escaped params key       | {"requests":[{"p\\u0061rams":{"model":"claude-opus-4"}}]}                                                        | COMPLETE | claude-opus-4
        """)
    void readsEveryModelOfABatch(String name, String body, Status status, String models) {
        for (Feeding feeding : List.of(Feeding.WHOLE, Feeding.ONE_BYTE, Feeding.RANDOM_SPLITS)) {
            assertEquals(new Sniffed(status, models), sniff("POST", "/v1/messages/batches", body, feeding), feeding.name());
        }
    }

    @Test
    void reportsEachModelAsSoonAsItIsRead() {
        ModelSniffer sniffer = ModelSniffer.forRequest("POST", "/v1/messages/batches").orElseThrow();
        byte[] first = "{\"requests\":[{\"params\":{\"model\":\"claude-opus-4\"".getBytes(StandardCharsets.UTF_8);
        assertEquals(List.of(), sniffer.accept(first, 0, first.length - 1));
        assertEquals(List.of(new Model(Kind.NAME, "claude-opus-4")), sniffer.accept(first, first.length - 1, 1));
        assertEquals(Status.UNDECIDED, sniffer.status());
        byte[] rest = ",\"max_tokens\":1}}]}".getBytes(StandardCharsets.UTF_8);
        assertEquals(List.of(), sniffer.accept(ByteBuffer.wrap(rest)));
        assertEquals(Status.UNDECIDED, sniffer.status(), "only the end of the body says there are no more models");
        assertEquals(List.of(), sniffer.end());
        assertEquals(Status.COMPLETE, sniffer.status());
    }

    @Test
    void aModelOverTheLimitIsReportedTooLong() {
        String body = "{\"model\":\"" + "c".repeat(ModelSniffer.MODEL_LIMIT) + "\"}";
        assertEquals(new Sniffed(Status.COMPLETE, "TOO_LONG:"), sniff("POST", "/v1/messages", body, Feeding.RANDOM_SPLITS));
    }

    @Test
    void aHugeRequestIsSniffedInFixedMemory() {
        // 20 MB of base64 image data before the model, as an agent sending a screenshot does.
        byte[] head = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":\"image/png\",\"data\":\""
                .getBytes(StandardCharsets.US_ASCII);
        byte[] tail = "\"}}]}],\"max_tokens\":1024,\"model\":\"claude-sonnet-4-5\"}".getBytes(StandardCharsets.US_ASCII);
        byte[] body = new byte[head.length + (20 << 20) + tail.length];
        System.arraycopy(head, 0, body, 0, head.length);
        Arrays.fill(body, head.length, head.length + (20 << 20), (byte) 'Q');
        System.arraycopy(tail, 0, body, body.length - tail.length, tail.length);

        ModelSniffer sniffer = ModelSniffer.forRequest("POST", "/v1/messages").orElseThrow();
        int largest = 0;
        byte[] scratch = new byte[16 * 1024];
        List<Model> models = new ArrayList<>();
        for (int at = 0; at < body.length; at += scratch.length) {
            int length = Math.min(scratch.length, body.length - at);
            System.arraycopy(body, at, scratch, 0, length);
            models.addAll(sniffer.accept(scratch, 0, length));
            largest = Math.max(largest, sniffer.retainedBytes());
        }
        models.addAll(sniffer.end());

        assertEquals(List.of(new Model(Kind.NAME, "claude-sonnet-4-5")), models);
        assertEquals(Status.COMPLETE, sniffer.status());
        assertTrue(largest < 2048, "retained " + largest);
    }

    @Test
    void nestingBeyondTheLimitIsNotJson() {
        String deep = "[".repeat(JsonPathScanner.MAX_DEPTH + 1) + "]".repeat(JsonPathScanner.MAX_DEPTH + 1);
        assertEquals(Status.NOT_JSON, sniff("POST", "/v1/messages", "{\"model\":\"a\",\"x\":" + deep + "}", Feeding.WHOLE).status());
        String deepest = "[".repeat(JsonPathScanner.MAX_DEPTH - 1) + "]".repeat(JsonPathScanner.MAX_DEPTH - 1);
        assertEquals(new Sniffed(Status.COMPLETE, "a"), sniff("POST", "/v1/messages", "{\"model\":\"a\",\"x\":" + deepest + "}", Feeding.WHOLE));
    }

    @ParameterizedTest(name = "{0} {1}: {2}")
    @CsvSource({
        "POST, /v1/messages, model",
        "POST, /v1/messages/count_tokens, model",
        "POST, /v1/complete, model",
        "POST, /v1/messages/batches, batch",
        "GET, /v1/messages/batches, none",
        "POST, /v1/messages/batches/msgbatch_01/cancel, none",
        "POST, /v1/files, none",
        "GET, /v1/models, none",
        "POST, /v1/tokens, none",
        "POST, /v1/messages/, none",
    })
    void sniffsOnlyRequestsThatNameAModel(String method, String path, String expected) {
        Optional<ModelSniffer> sniffer = ModelSniffer.forRequest(method, path);
        assertEquals(!expected.equals("none"), sniffer.isPresent());
        sniffer.ifPresent(found -> {
            byte[] top = "{\"model\":\"m\"}".getBytes(StandardCharsets.UTF_8);
            found.accept(top, 0, top.length);
            found.end();
            assertEquals(expected.equals("model") ? Status.COMPLETE : Status.NO_MODEL, found.status());
        });
    }
}
