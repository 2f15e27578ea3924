package dev.creddy.anthropic.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.usage.Bodies.Feeding;
import dev.creddy.anthropic.usage.JsonPathScanner.State;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class JsonPathScannerTest {

    /** Records every capture as {@code index=json} and every oversized one as {@code index!}. */
    private static final class Recorder implements JsonPathScanner.Listener {
        final List<String> seen = new ArrayList<>();

        @Override
        public void captured(int path, byte[] json, int length) {
            seen.add(path + "=" + new String(json, 0, length, StandardCharsets.UTF_8));
        }

        @Override
        public void tooLarge(int path) {
            seen.add(path + "!");
        }
    }

    private static String scan(String json, int limit, Feeding feeding, long seed, String... paths) {
        Recorder recorder = new Recorder();
        JsonPathScanner scanner = JsonPathScanner.of(recorder, limit, List.of(paths));
        feeding.feed(json.getBytes(StandardCharsets.UTF_8), seed, scanner::accept);
        boolean complete = scanner.end();
        return String.join(" ", recorder.seen) + (complete ? "" : " MALFORMED");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
        scalars of each kind        | {"a":1,"b":-2.5e+3,"c":true,"d":false,"e":null,"f":"x"}  | a,b,c,d,e,f            | 0=1 1=-2.5e+3 2=true 3=false 4=null 5="x"
        numbers of every form       | {"a":[0,-0,1.25,1E9,-0.5e-7,10,2e+2]}                     | a[*]                   | 0=0 0=-0 0=1.25 0=1E9 0=-0.5e-7 0=10 0=2e+2
        containers, no whitespace         | {"u": { "x" : [1, {"y":2}] } ,"v":[]}                    | u,v                    | 0={"x":[1,{"y":2}]} 1=[]
        nested paths                | {"message":{"usage":{"input_tokens":3}},"usage":1}        | message.usage,usage    | 0={"input_tokens":3} 1=1
        array elements              | {"r":[{"p":{"m":"a"}},{"p":{"n":1}},{"p":{"m":"b"}},3]}  | r[*].p.m               | 0="a" 0="b"
        array of arrays             | {"g":[[1,2],[3]]}                                         | g[*][*]                | 0=1 0=2 0=3
        the same value on two paths | {"a":{"b":7}}                                             | a,a.b                  | 0={"b":7}
        two paths with one value    | {"a":5}                                                   | a,a                    | 0=5 1=5
        top-level scalar            | 42                                                        | a                      | ''
        empty containers            | {"a":{},"b":[],"c":[{}]}                                  | a,b,c                  | 0={} 1=[] 2=[{}]
        strings with every escape   | {"s":"\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9"}                 | s                      | 0="\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9"
        UTF-8 passes as bytes       | {"s":"h\u00e9llo \ud83d\ude00"}                           | s                      | 0="h\u00e9llo \ud83d\ude00"
        key longer than any path    | {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa":1,"a":2} | a      | 0=2
        """)
    void capturesTheValuesAtItsPaths(String name, String json, String paths, String expected) {
        for (Feeding feeding : List.of(Feeding.WHOLE, Feeding.ONE_BYTE, Feeding.RANDOM_SPLITS, Feeding.DIRECT_RANDOM_SPLITS)) {
            assertEquals(expected, scan(json, 64, feeding, 7, paths.split(",")).strip(), feeding.name());
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
        a document block's source       | {"messages":[{"content":[{"type":"document","source":{"type":"file","file_id":"f1"}}]}]} | 0="f1"
        deep in a tool_result           | {"m":[{"c":[{"type":"tool_result","content":[{"type":"image","source":{"file_id":"f2"}}]}]}]} | 0="f2"
        a batch's requests              | {"requests":[{"params":{"messages":[{"content":[{"file_id":"f3"}]}]}},{"params":{"x":{"file_id":"f4"}}}]} | 0="f3" 0="f4"
        an escaped key                  | {"a":{"file\\u005fid":"f5","\\u0066ile_id":"f6"}}                       | 0="f5" 0="f6"
        a key given twice               | {"a":{"file_id":"f7","file_id":"f8"}}                                    | 0="f7" 0="f8"
        not strings: looked inside      | {"file_id":{"file_id":"f9"},"b":{"file_id":1},"c":{"file_id":["f10"]}}   | 0="f9"
        the top level is no member      | "file_id"                                                                 | ''
        a string value that says so     | {"text":"\\"file_id\\":\\"f11\\"","file_ids":"f12","xfile_id":"f13"}     | ''
        """)
    void findsAKeyAtAnyDepth(String name, String json, String expected) {
        for (Feeding feeding : List.of(Feeding.WHOLE, Feeding.ONE_BYTE, Feeding.RANDOM_SPLITS, Feeding.DIRECT_RANDOM_SPLITS)) {
            assertEquals(expected, scan(json, 64, feeding, 7, "**.file_id").strip(), feeding.name());
        }
    }

    @Test
    void aLongStringEndsAtItsQuoteWhereverItFallsInAWord() {
        for (int at = 0; at < 24; at++) {
            for (String special : List.of("\\\"", "\\\\", "\\u0041", "\u00e9\u4e2d", "\\n")) {
                String value = "a".repeat(at) + special + "b".repeat(17);
                String json = "{\"s\":\"" + value + "\",\"t\":1}";
                assertEquals("0=\"" + value + "\" 1=1", scan(json, 256, Feeding.WHOLE, 1, "s", "t").strip(), json);
            }
            String raw = "{\"s\":\"" + "a".repeat(at) + "\t" + "b".repeat(9) + "\"}";
            assertTrue(scan(raw, 256, Feeding.WHOLE, 1, "s").endsWith("MALFORMED"), "a raw control character at " + at);
        }
    }

    @Test
    void anAnyDepthPathIsNotMixedWithFixedOnes() {
        assertThrows(IllegalArgumentException.class, () -> JsonPathScanner.of(new Recorder(), 64, List.of("model", "**.file_id")));
        assertThrows(IllegalArgumentException.class, () -> JsonPathScanner.of(new Recorder(), 64, List.of("**.a.b")));
    }

    @ParameterizedTest(name = "[{0}]")
    @ValueSource(strings = {"", " ", "{", "[1,]", "{\"a\":1,}", "{\"a\"}", "{,}", "[1 2]", "{\"a\":1}}", "}", "nul", "truex",
        "\"abc", "\"\\u12G4\"", "{\"a\":-}", "{\"a\":.5}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":1e}", "{\"a\":1e+}", "{\"a\":--1}", "{\"a\":1.5x}", "[\"\t\"]", "{'a':1}", "{\"a\":1}{", "[1]]"})
    void reportsMalformedInputWithoutThrowing(String json) {
        Recorder recorder = new Recorder();
        JsonPathScanner scanner = JsonPathScanner.of(recorder, 64, List.of("a"));
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        scanner.accept(bytes, 0, bytes.length);
        assertFalse(scanner.end());
        assertEquals(State.MALFORMED, scanner.state());
        assertFalse(scanner.accept(new byte[] {'1'}, 0, 1), "once malformed, it stays so");
    }

    @Test
    void aValueOverTheLimitIsReportedAndNotKept() {
        assertEquals("0! 1=2", scan("{\"a\":\"" + "x".repeat(100) + "\",\"b\":2}", 64, Feeding.RANDOM_SPLITS, 3, "a", "b"));
        assertEquals("0! 1=2", scan("{\"a\":[" + "1,".repeat(40) + "1],\"b\":2}", 64, Feeding.ONE_BYTE, 3, "a", "b"));
        assertEquals("0=\"" + "x".repeat(62) + "\"", scan("{\"a\":\"" + "x".repeat(62) + "\"}", 64, Feeding.ONE_BYTE, 3, "a"));
    }

    @Test
    void reportsCompleteOnceTheDocumentEnds() {
        JsonPathScanner scanner = JsonPathScanner.of(new Recorder(), 64, List.of("a"));
        byte[] bytes = "{\"a\":1} \n".getBytes(StandardCharsets.UTF_8);
        assertTrue(scanner.accept(bytes, 0, 3));
        assertEquals(State.SCANNING, scanner.state());
        assertTrue(scanner.accept(bytes, 3, bytes.length - 3));
        assertEquals(State.COMPLETE, scanner.state());
        assertTrue(scanner.end());
    }

    @ParameterizedTest(name = "[{0}]")
    @ValueSource(strings = {"", "a..b", "[*]", "a[1]", "a[*]b", ".a"})
    void refusesPathsItCannotFollow(String path) {
        assertThrows(IllegalArgumentException.class, () -> JsonPathScanner.of(new Recorder(), 64, List.of(path)));
    }

    /**
     * Random documents, split at random points: the scanner's captures of the top-level {@code k}
     * (every occurrence) are the values a JSON parser reads, and the last is what JSON-P keeps.
     */
    @Test
    void agreesWithJsonPOnRandomDocuments() {
        Random random = new Random(20261126L);
        for (int round = 0; round < 300; round++) {
            String json = randomObject(random, 0);
            JsonObject parsed = Json.createReader(new StringReader(json)).readObject();
            Recorder recorder = new Recorder();
            JsonPathScanner scanner = JsonPathScanner.of(recorder, 1 << 20, List.of("k"));
            Feeding.RANDOM_SPLITS.feed(json.getBytes(StandardCharsets.UTF_8), round, scanner::accept);
            assertTrue(scanner.end(), json);
            if (parsed.containsKey("k")) {
                String last = recorder.seen.get(recorder.seen.size() - 1).substring(2);
                JsonValue captured = Json.createReader(new StringReader(last)).readValue();
                assertEquals(parsed.get("k"), captured, json);
            } else {
                assertEquals(List.of(), recorder.seen, json);
            }
        }
    }

    private static String randomObject(Random random, int depth) {
        StringBuilder json = new StringBuilder("{");
        int members = random.nextInt(depth == 0 ? 6 : 4);
        for (int i = 0; i < members; i++) {
            if (i > 0) {
                json.append(random.nextBoolean() ? "," : " ,\n ");
            }
            String key = switch (random.nextInt(4)) {
                case 0 -> "k";
                case 1 -> "\\u006b";
                case 2 -> "kk";
                default -> "x\\\"y";
            };
            json.append('"').append(key).append("\":").append(randomValue(random, depth + 1));
        }
        return json.append('}').toString();
    }

    private static String randomValue(Random random, int depth) {
        int kind = random.nextInt(depth > 4 ? 5 : 7);
        return switch (kind) {
            case 0 -> Integer.toString(random.nextInt(2000) - 1000);
            case 1 -> random.nextBoolean() ? "true" : "null";
            case 2 -> "-1.5e3";
            case 3 -> "\"s\\\\" + "\u00e9\\\"".repeat(random.nextInt(3)) + "]}\"";
            case 4 -> "\"\"";
            case 5 -> randomObject(random, depth);
            default -> {
                StringBuilder array = new StringBuilder("[");
                int elements = random.nextInt(4);
                for (int i = 0; i < elements; i++) {
                    array.append(i > 0 ? "," : "").append(randomValue(random, depth + 1));
                }
                yield array.append(']').toString();
            }
        };
    }
}
