package dev.creddy.anthropic.usage;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Finds the values at a few chosen paths of one JSON document while its bytes pass by, in chunks split
 * anywhere (down to one byte), and hands each value's raw JSON text to a {@link Listener}. It keeps only
 * the structure it is in (depth, which containers are open, whether it is inside a string) and the value
 * it is capturing; everything else goes by unkept, so a 30 MB base64 string costs nothing but the time
 * to look at its bytes.
 *
 * <p>Why not a JSON library: JSON-P's {@code JsonParser} (and Jackson's stream parser) pull from an
 * {@code InputStream} and block until bytes arrive, which the async pumps cannot afford; the
 * non-blocking parsers (Jackson's {@code NonBlockingJsonParser}, Aalto-style feeders) hand out whole
 * tokens, so they accumulate every long string in memory. This scanner only tracks structure; the small
 * values it captures are then read with JSON-P.
 *
 * <p>Paths are written as {@code model}, {@code usage}, {@code message.usage} or
 * {@code requests[*].params.model}: object keys joined by dots, {@code [*]} for every element of an
 * array. A path matches keys after JSON unescaping ({@code "mod\u0065l"} is {@code model}), the way the
 * upstream's parser reads them. A key that occurs twice is reported twice: which one wins is the
 * listener's decision.
 *
 * <p>{@code **.file_id} names a key at any depth instead: every member {@code file_id} of every object
 * whose value is a string, wherever it is (a value that is an object or an array is not reported, and
 * the scanner looks on inside it). A scanner with such a path has only such paths, so a value captured
 * for a fixed path can never hide one.
 *
 * <p>UTF-8 is opaque: multi-byte sequences are passed through as bytes. The scanner checks JSON's
 * grammar (RFC 8259: structure, literals, numbers, string escapes, unescaped control characters) but not
 * the UTF-8 inside strings, and what it accepts it reads as a JSON parser would. Malformed input never throws: the scanner reports {@link State#MALFORMED} and ignores the rest.
 * Nesting deeper than {@value #MAX_DEPTH} levels counts as malformed, so the memory kept stays fixed.
 *
 * <p>Confined to one body: call it from one thread at a time, in body order.
 */
public final class JsonPathScanner {

    /** How deep the scanner follows nesting before it calls the document malformed. */
    public static final int MAX_DEPTH = 512;

    /** The default bound of one captured value, in bytes. */
    public static final int DEFAULT_CAPTURE_LIMIT = 16 * 1024;

    /** Where the scanner is in the document. */
    public enum State {
        /** Inside the document (or before it). */
        SCANNING,
        /** One complete JSON value was read; only whitespace may follow. */
        COMPLETE,
        /** Not JSON, or cut off ({@link #end()}); nothing more is read. */
        MALFORMED
    }

    /** Receives the captured values, on the thread that feeds the scanner. */
    public interface Listener {

        /**
         * The value at path {@code path} (an index into the scanner's paths) was read in full.
         * {@code json} is the scanner's own buffer, valid only during the call.
         */
        void captured(int path, byte[] json, int length);

        /** The value at path {@code path} was longer than the capture limit and was not kept. */
        void tooLarge(int path);
    }

    private static final byte VALUE = 0;
    private static final byte AFTER_VALUE = 1;
    private static final byte KEY_START = 2;
    private static final byte COLON = 3;
    private static final byte STRING = 4;
    private static final byte STRING_ESCAPE = 5;
    private static final byte STRING_HEX = 6;
    private static final byte SCALAR = 7;
    private static final byte DONE = 8;
    private static final byte FAILED = 9;

    private static final int CHUNK = 4096;
    // Steps through a number's grammar.
    private static final byte NUMBER_START = 0;
    private static final byte MINUS = 1;
    private static final byte INTEGER_ZERO = 2;
    private static final byte INTEGER = 3;
    private static final byte POINT = 4;
    private static final byte FRACTION = 5;
    private static final byte E = 6;
    private static final byte E_SIGN = 7;
    private static final byte EXPONENT = 8;
    private static final byte NOT_A_NUMBER = 9;
    private static final byte[] TRUE = {'t', 'r', 'u', 'e'};
    private static final byte[] FALSE = {'f', 'a', 'l', 's', 'e'};
    private static final byte[] NULL = {'n', 'u', 'l', 'l'};
    private static final java.lang.invoke.VarHandle LONGS = java.lang.invoke.MethodHandles.byteArrayViewVarHandle(
            long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;

    private final Listener listener;
    private final int captureLimit;
    /** Per path: its segments, each a UTF-8 key or {@code null} for {@code [*]}. */
    private final byte[][][] paths;
    private final String[][] pathKeys;
    private final int maxPathLength;
    /** The paths written {@code **.key}: matched at every depth, strings only. */
    private final int anywhere;

    /** Open containers, one bit per level: set for an object. */
    private final long[] objects = new long[MAX_DEPTH / 64];
    /** Per level up to the longest path: the paths still possible for that container's children. */
    private final int[] childPaths;
    private int depth;
    private byte state = VALUE;
    private boolean mayCloseEmpty;
    private boolean inKey;
    private int hexLeft;
    /** The literal being read ({@code true}, {@code false}, {@code null}), or null for a number. */
    private byte[] literal;
    private int scalarLength;
    private byte numberStep;
    private boolean scalarValid;
    /** The paths the value about to start (or being read) would match. */
    private int valuePaths;
    private final byte[] key;
    private int keyLength;
    private boolean keyOverflow;
    private boolean keyEscaped;

    private boolean capturing;
    private int capturePaths;
    private int captureDepth;
    private byte[] capture = new byte[0];
    private int captureLength;
    private boolean captureOverflow;
    private byte[] scratch;

    private JsonPathScanner(Listener listener, int captureLimit, List<String> pathTexts) {
        this.listener = Objects.requireNonNull(listener, "listener");
        if (captureLimit < 1) {
            throw new IllegalArgumentException("captureLimit must be positive");
        }
        if (pathTexts.isEmpty() || pathTexts.size() > 31) {
            throw new IllegalArgumentException("between 1 and 31 paths");
        }
        this.captureLimit = captureLimit;
        this.paths = new byte[pathTexts.size()][][];
        this.pathKeys = new String[pathTexts.size()][];
        int longest = 0;
        int longestKey = 1;
        int anyDepth = 0;
        for (int p = 0; p < pathTexts.size(); p++) {
            String text = pathTexts.get(p);
            if (text.startsWith("**.")) {
                anyDepth |= 1 << p;
                text = text.substring(3);
                if (text.contains(".") || text.contains("[")) {
                    throw new IllegalArgumentException("an any-depth path names one key: " + pathTexts.get(p));
                }
            }
            List<String> segments = segments(text);
            paths[p] = new byte[segments.size()][];
            pathKeys[p] = new String[segments.size()];
            for (int s = 0; s < segments.size(); s++) {
                String segment = segments.get(s);
                pathKeys[p][s] = segment;
                paths[p][s] = segment == null ? null : segment.getBytes(StandardCharsets.UTF_8);
                if (segment != null) {
                    longestKey = Math.max(longestKey, segment.length());
                }
            }
            longest = Math.max(longest, segments.size());
        }
        if (anyDepth != 0 && anyDepth != (1 << paths.length) - 1) {
            throw new IllegalArgumentException("any-depth paths cannot be mixed with fixed ones");
        }
        this.anywhere = anyDepth;
        this.maxPathLength = anyDepth != 0 ? 0 : longest;
        this.childPaths = new int[longest + 1];
        // A key of n characters is at most 6n bytes when every character is written as \\uXXXX;
        // 12 per surrogate pair is still 6 per char.
        this.key = new byte[6 * longestKey];
        // An any-depth key is a member's: the document itself is no match for it.
        this.valuePaths = anyDepth != 0 ? 0 : (1 << paths.length) - 1;
    }

    /**
     * A scanner that reports the values at {@code paths} (the listener's {@code path} argument is the
     * index into this list), each bounded to {@code captureLimit} bytes.
     */
    public static JsonPathScanner of(Listener listener, int captureLimit, List<String> paths) {
        return new JsonPathScanner(listener, captureLimit, paths);
    }

    private static List<String> segments(String path) {
        List<String> segments = new ArrayList<>();
        for (String part : path.split("\\.", -1)) {
            int wildcards = 0;
            while (part.endsWith("[*]")) {
                part = part.substring(0, part.length() - 3);
                wildcards++;
            }
            if (part.isEmpty() || part.contains("[") || part.contains("]")) {
                throw new IllegalArgumentException("not a path: " + path);
            }
            segments.add(part);
            for (int i = 0; i < wildcards; i++) {
                segments.add(null);
            }
        }
        return segments;
    }

    /** Where the scanner is. */
    public State state() {
        return switch (state) {
            case DONE -> State.COMPLETE;
            case FAILED -> State.MALFORMED;
            default -> State.SCANNING;
        };
    }

    /**
     * Reads {@code chunk}'s remaining bytes without moving its position or keeping it.
     *
     * @return false once the document is known to be malformed
     */
    public boolean accept(ByteBuffer chunk) {
        if (chunk.hasArray()) {
            return accept(chunk.array(), chunk.arrayOffset() + chunk.position(), chunk.remaining());
        }
        if (scratch == null) {
            scratch = new byte[CHUNK];
        }
        for (int at = chunk.position(); at < chunk.limit() && state != FAILED; at += CHUNK) {
            int length = Math.min(CHUNK, chunk.limit() - at);
            chunk.get(at, scratch, 0, length);
            accept(scratch, 0, length);
        }
        return state != FAILED;
    }

    /**
     * Reads the next bytes of the document.
     *
     * @return false once the document is known to be malformed
     */
    public boolean accept(byte[] bytes, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        int end = offset + length;
        int i = offset;
        while (i < end && state != FAILED) {
            byte b = bytes[i];
            switch (state) {
                case VALUE -> {
                    if (isWhitespace(b)) {
                        i++;
                    } else if (b == ']' && mayCloseEmpty) {
                        mayCloseEmpty = false;
                        closeContainer(b, false);
                        i++;
                    } else {
                        mayCloseEmpty = false;
                        startValue(b);
                        i++;
                    }
                }
                case STRING -> i = inString(bytes, i, end);
                case AFTER_VALUE -> {
                    i++;
                    if (isWhitespace(b)) {
                        continue;
                    }
                    append(b);
                    if (b == ',') {
                        if (inObject()) {
                            state = KEY_START;
                        } else {
                            state = VALUE;
                            valuePaths = childPaths(depth);
                        }
                    } else if (b == '}' || b == ']') {
                        closeContainer(b, true);
                    } else {
                        fail();
                    }
                }
                case KEY_START -> {
                    i++;
                    if (isWhitespace(b)) {
                        continue;
                    }
                    append(b);
                    if (b == '"') {
                        inKey = true;
                        keyLength = 0;
                        keyOverflow = false;
                        keyEscaped = false;
                        state = STRING;
                    } else if (b == '}' && mayCloseEmpty) {
                        closeContainer(b, true);
                    } else {
                        fail();
                    }
                    mayCloseEmpty = false;
                }
                case COLON -> {
                    i++;
                    if (isWhitespace(b)) {
                        continue;
                    }
                    append(b);
                    if (b == ':') {
                        state = VALUE;
                    } else {
                        fail();
                    }
                }
                case STRING_ESCAPE -> {
                    i++;
                    append(b);
                    keyByte(b);
                    if (b == 'u') {
                        hexLeft = 4;
                        state = STRING_HEX;
                    } else if (b == '"' || b == '\\' || b == '/' || b == 'b' || b == 'f' || b == 'n' || b == 'r'
                            || b == 't') {
                        state = STRING;
                    } else {
                        fail();
                    }
                }
                case STRING_HEX -> {
                    i++;
                    append(b);
                    keyByte(b);
                    if (Character.digit(b, 16) < 0) {
                        fail();
                    } else if (--hexLeft == 0) {
                        state = STRING;
                    }
                }
                case SCALAR -> {
                    if (isScalarByte(b)) {
                        scalarByte(b);
                        append(b);
                        i++;
                    } else {
                        // The delimiter belongs to the enclosing structure: read it again after the value.
                        endValue();
                    }
                }
                case DONE -> {
                    i++;
                    if (!isWhitespace(b)) {
                        fail();
                    }
                }
                default -> throw new IllegalStateException("state " + state);
            }
        }
        return state != FAILED;
    }

    /**
     * The document ended. A scalar at the top level ends here; anything still open makes the document
     * malformed (cut off).
     *
     * @return whether the bytes were one complete JSON value
     */
    public boolean end() {
        if (state == SCALAR && depth == 0) {
            endValue();
        }
        if (state != DONE) {
            fail();
        }
        return state == DONE;
    }

    /** The bytes this scanner holds now, whatever it has read: its fixed state and its capture buffer. */
    int retainedBytes() {
        return objects.length * Long.BYTES + childPaths.length * Integer.BYTES + key.length + capture.length
                + (scratch == null ? 0 : scratch.length);
    }

    private int inString(byte[] bytes, int from, int end) {
        int i = from;
        // Eight bytes at a time while none of them ends the run (a quote, a backslash, a control
        // character): strings are most of a body, and this is most of the scanner's time.
        while (i + Long.BYTES <= end && !endsRun((long) LONGS.get(bytes, i))) {
            i += Long.BYTES;
        }
        while (i < end) {
            byte b = bytes[i];
            if (b == '"' || b == '\\' || b >= 0 && b < 0x20) {
                break;
            }
            i++;
        }
        append(bytes, from, i - from);
        if (inKey) {
            keyBytes(bytes, from, i - from);
        }
        if (i == end) {
            return i;
        }
        byte b = bytes[i];
        append(b);
        if (b == '"') {
            if (inKey) {
                inKey = false;
                valuePaths = keyPaths();
                state = COLON;
            } else {
                endValue();
            }
        } else if (b == '\\') {
            keyEscaped |= inKey;
            keyByte(b);
            state = STRING_ESCAPE;
        } else {
            // A raw control character: JSON requires it escaped.
            fail();
        }
        return i + 1;
    }

    private void startValue(byte b) {
        int full = anywhere != 0 ? b == '"' ? valuePaths & anywhere : 0 : fullMatches(valuePaths);
        if (full != 0 && !capturing) {
            capturing = true;
            capturePaths = full;
            captureDepth = depth;
            captureLength = 0;
            captureOverflow = false;
        }
        append(b);
        if (b == '{' || b == '[') {
            if (depth == MAX_DEPTH) {
                fail();
                return;
            }
            boolean object = b == '{';
            if (object) {
                objects[depth >> 6] |= 1L << (depth & 63);
            } else {
                objects[depth >> 6] &= ~(1L << (depth & 63));
            }
            depth++;
            if (depth <= maxPathLength) {
                childPaths[depth] = continuing(valuePaths, depth - 1, object);
            }
            mayCloseEmpty = true;
            if (object) {
                state = KEY_START;
            } else {
                state = VALUE;
                valuePaths = childPaths(depth);
            }
        } else if (b == '"') {
            inKey = false;
            state = STRING;
        } else if (b == '-' || b >= '0' && b <= '9' || b == 't' || b == 'f' || b == 'n') {
            literal = b == 't' ? TRUE : b == 'f' ? FALSE : b == 'n' ? NULL : null;
            scalarLength = 0;
            scalarValid = true;
            numberStep = NUMBER_START;
            scalarByte(b);
            state = SCALAR;
        } else {
            fail();
        }
    }

    private void closeContainer(byte b, boolean appended) {
        boolean object = inObject();
        if (depth == 0 || object != (b == '}')) {
            fail();
            return;
        }
        if (!appended) {
            append(b);
        }
        depth--;
        endValue();
    }

    private void endValue() {
        if (state == SCALAR && !validScalar()) {
            fail();
            return;
        }
        if (capturing && depth == captureDepth) {
            capturing = false;
            for (int p = 0; p < paths.length; p++) {
                if ((capturePaths & 1 << p) != 0) {
                    if (captureOverflow) {
                        listener.tooLarge(p);
                    } else {
                        listener.captured(p, capture, captureLength);
                    }
                }
            }
        }
        state = depth == 0 ? DONE : AFTER_VALUE;
    }

    /** Whether the literal or number just read is complete and well formed. */
    private boolean validScalar() {
        return scalarValid && (literal == null ? numberStep == INTEGER_ZERO || numberStep == INTEGER
                || numberStep == FRACTION || numberStep == EXPONENT : scalarLength == literal.length);
    }

    private void scalarByte(byte b) {
        if (literal != null) {
            scalarValid &= scalarLength < literal.length && literal[scalarLength] == b;
            scalarLength++;
            return;
        }
        // RFC 8259 §6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
        boolean digit = b >= '0' && b <= '9';
        numberStep = switch (numberStep) {
            case NUMBER_START -> b == '-' ? MINUS : b == '0' ? INTEGER_ZERO : digit ? INTEGER : NOT_A_NUMBER;
            case MINUS -> b == '0' ? INTEGER_ZERO : digit ? INTEGER : NOT_A_NUMBER;
            case INTEGER_ZERO -> b == '.' ? POINT : b == 'e' || b == 'E' ? E : NOT_A_NUMBER;
            case INTEGER -> digit ? INTEGER : b == '.' ? POINT : b == 'e' || b == 'E' ? E : NOT_A_NUMBER;
            case POINT, FRACTION -> digit ? FRACTION : numberStep == FRACTION && (b == 'e' || b == 'E') ? E : NOT_A_NUMBER;
            case E -> b == '+' || b == '-' ? E_SIGN : digit ? EXPONENT : NOT_A_NUMBER;
            case E_SIGN, EXPONENT -> digit ? EXPONENT : NOT_A_NUMBER;
            default -> NOT_A_NUMBER;
        };
        scalarValid &= numberStep != NOT_A_NUMBER;
    }

    private boolean inObject() {
        int level = depth - 1;
        return level >= 0 && (objects[level >> 6] & 1L << (level & 63)) != 0;
    }

    private int childPaths(int level) {
        return level <= maxPathLength ? childPaths[level] : 0;
    }

    /** The paths among {@code candidates} that end at segment count {@code length}. */
    private int fullMatches(int candidates) {
        int full = 0;
        for (int p = 0; p < paths.length; p++) {
            if ((candidates & 1 << p) != 0 && paths[p].length == depth) {
                full |= 1 << p;
            }
        }
        return full;
    }

    /** The paths among {@code candidates} whose segment {@code index} is a key (object) or [*] (array). */
    private int continuing(int candidates, int index, boolean object) {
        int next = 0;
        for (int p = 0; p < paths.length; p++) {
            if ((candidates & 1 << p) != 0 && paths[p].length > index && (paths[p][index] != null) == object) {
                next |= 1 << p;
            }
        }
        return next;
    }

    /** The paths the key just read leads on to. */
    private int keyPaths() {
        int candidates = childPaths(depth) | anywhere;
        if (candidates == 0 || keyOverflow) {
            return 0;
        }
        String decoded = keyEscaped ? CapturedJson.string(key, keyLength) : null;
        int matched = 0;
        for (int p = 0; p < paths.length; p++) {
            if ((candidates & 1 << p) == 0) {
                continue;
            }
            int segment = (anywhere & 1 << p) != 0 ? 0 : depth - 1;
            boolean same = decoded != null ? decoded.equals(pathKeys[p][segment])
                    : Arrays.equals(key, 0, keyLength, paths[p][segment], 0, paths[p][segment].length);
            if (same) {
                matched |= 1 << p;
            }
        }
        return matched;
    }

    private void keyByte(byte b) {
        if (inKey && !keyOverflow && (childPaths(depth) | anywhere) != 0) {
            if (keyLength == key.length) {
                keyOverflow = true;
            } else {
                key[keyLength++] = b;
            }
        }
    }

    private void keyBytes(byte[] bytes, int from, int length) {
        if (keyOverflow || length == 0 || (childPaths(depth) | anywhere) == 0) {
            return;
        }
        if (keyLength + length > key.length) {
            keyOverflow = true;
            return;
        }
        System.arraycopy(bytes, from, key, keyLength, length);
        keyLength += length;
    }

    private void append(byte b) {
        if (capturing && !captureOverflow) {
            if (captureLength == capture.length && !grow(1)) {
                return;
            }
            capture[captureLength++] = b;
        }
    }

    private void append(byte[] bytes, int from, int length) {
        if (capturing && !captureOverflow && length > 0) {
            if (captureLength + length > capture.length && !grow(length)) {
                return;
            }
            System.arraycopy(bytes, from, capture, captureLength, length);
            captureLength += length;
        }
    }

    private boolean grow(int more) {
        int needed = captureLength + more;
        if (needed > captureLimit) {
            captureOverflow = true;
            return false;
        }
        int size = Math.max(Math.min(256, captureLimit), capture.length);
        while (size < needed) {
            size = Math.min(captureLimit, size * 2);
        }
        capture = Arrays.copyOf(capture, size);
        return true;
    }

    private void fail() {
        state = FAILED;
        capturing = false;
    }

    /**
     * Whether any of the eight bytes in {@code word} is a quote, a backslash or below 0x20 (bytes of
     * UTF-8 sequences, 0x80 and up, are none of these). The classic "has a zero byte" test: it can
     * report a word that holds none only after a byte that does, so a true answer is checked byte by byte.
     */
    private static boolean endsRun(long word) {
        long quotes = word ^ 0x2222222222222222L;
        long backslashes = word ^ 0x5C5C5C5C5C5C5C5CL;
        return (((quotes - ONES) & ~quotes | (backslashes - ONES) & ~backslashes | (word - 0x2020202020202020L) & ~word)
                & HIGHS) != 0;
    }

    private static boolean isWhitespace(byte b) {
        return b == ' ' || b == '\n' || b == '\r' || b == '\t';
    }

    private static boolean isScalarByte(byte b) {
        return b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b == '-' || b == '+' || b == '.' || b == 'E';
    }
}
