package dev.creddy.anthropic.usage;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;

/** Test bodies: the wire examples, their encodings, and the ways a body arrives in chunks. */
final class Bodies {

    private Bodies() {
    }

    static byte[] resource(String name) {
        try (InputStream in = Bodies.class.getResourceAsStream("/usage/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no test resource " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** How a body is split into the chunks a pump hands on. */
    enum Feeding {
        WHOLE, ONE_BYTE, RANDOM_SPLITS, TYPICAL_8_TO_16_KB, DIRECT_RANDOM_SPLITS;

        /** Feeds {@code body} to {@code sink} in this feeding's chunks, each a fresh buffer. */
        void feed(byte[] body, long seed, Consumer<ByteBuffer> sink) {
            Random random = new Random(seed);
            int at = 0;
            while (at < body.length) {
                int length = switch (this) {
                    case WHOLE -> body.length;
                    case ONE_BYTE -> 1;
                    case RANDOM_SPLITS, DIRECT_RANDOM_SPLITS -> 1 + random.nextInt(Math.min(64, body.length));
                    case TYPICAL_8_TO_16_KB -> 8192 + random.nextInt(8193);
                };
                length = Math.min(length, body.length - at);
                ByteBuffer chunk;
                if (this == DIRECT_RANDOM_SPLITS) {
                    chunk = ByteBuffer.allocateDirect(length + 8);
                    chunk.position(3);
                    chunk.put(body, at, length);
                    chunk.flip();
                    chunk.position(3);
                } else {
                    // An offset slice of a larger array, as a pump's buffer can be.
                    byte[] backing = new byte[length + 6];
                    System.arraycopy(body, at, backing, 3, length);
                    chunk = ByteBuffer.wrap(backing, 3, length).slice();
                }
                sink.accept(chunk);
                at += length;
            }
        }
    }

    /** How the upstream encoded a body, with its Content-Encoding. */
    enum Encoding {
        IDENTITY(null), GZIP("gzip"), X_GZIP_TWO_MEMBERS("x-gzip"), GZIP_ALL_HEADER_FIELDS("gzip"),
        DEFLATE_ZLIB("deflate"), DEFLATE_RAW("deflate");

        final String contentEncoding;

        Encoding(String contentEncoding) {
            this.contentEncoding = contentEncoding;
        }

        byte[] encode(byte[] body) {
            return switch (this) {
                case IDENTITY -> body;
                case GZIP -> gzip(body);
                case X_GZIP_TWO_MEMBERS -> concat(gzip(java.util.Arrays.copyOfRange(body, 0, body.length / 3)),
                        gzip(java.util.Arrays.copyOfRange(body, body.length / 3, body.length)));
                case GZIP_ALL_HEADER_FIELDS -> gzipWithEveryHeaderField(body);
                case DEFLATE_ZLIB -> deflate(body, false);
                case DEFLATE_RAW -> deflate(body, true);
            };
        }
    }

    static byte[] gzip(byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
            gzip.write(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static byte[] deflate(byte[] body, boolean raw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (DeflaterOutputStream deflate = new DeflaterOutputStream(out, new Deflater(Deflater.DEFAULT_COMPRESSION, raw))) {
            deflate.write(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** A gzip member whose header has FEXTRA, FNAME, FCOMMENT and FHCRC (GZIPOutputStream writes none). */
    static byte[] gzipWithEveryHeaderField(byte[] body) {
        ByteArrayOutputStream header = new ByteArrayOutputStream();
        header.writeBytes(new byte[] {0x1f, (byte) 0x8b, 8, 0x02 | 0x04 | 0x08 | 0x10, 0, 0, 0, 0, 0, (byte) 255});
        byte[] extra = "AP\u0004\u0000abcd".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        header.write(extra.length);
        header.write(0);
        header.writeBytes(extra);
        header.writeBytes("response.json\0".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        header.writeBytes("a comment\0".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        CRC32 headerCrc = new CRC32();
        headerCrc.update(header.toByteArray());
        header.write((int) headerCrc.getValue() & 0xff);
        header.write((int) (headerCrc.getValue() >> 8) & 0xff);
        ByteArrayOutputStream member = new ByteArrayOutputStream();
        member.writeBytes(header.toByteArray());
        member.writeBytes(deflate(body, true));
        CRC32 crc = new CRC32();
        crc.update(body);
        writeLittleEndian(member, crc.getValue());
        writeLittleEndian(member, body.length);
        return member.toByteArray();
    }

    private static void writeLittleEndian(ByteArrayOutputStream out, long value) {
        for (int i = 0; i < 4; i++) {
            out.write((int) (value >> (8 * i)) & 0xff);
        }
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    /** A copy of a chunk's state, to prove a meter left it alone. */
    record Snapshot(ByteBuffer chunk, int position, int limit, byte[] content) {

        static Snapshot of(ByteBuffer chunk) {
            byte[] content = new byte[chunk.remaining()];
            chunk.duplicate().get(content);
            return new Snapshot(chunk, chunk.position(), chunk.limit(), content);
        }

        boolean unchanged() {
            byte[] now = new byte[chunk.remaining()];
            chunk.duplicate().get(now);
            return chunk.position() == position && chunk.limit() == limit && java.util.Arrays.equals(now, content);
        }
    }

    /** Feeds {@code body} to {@code meter}, failing when the meter moved or changed any chunk. */
    static List<String> feedChecked(ResponseMeter meter, byte[] body, Feeding feeding, long seed) {
        List<String> moved = new ArrayList<>();
        feeding.feed(body, seed, chunk -> {
            Snapshot before = Snapshot.of(chunk);
            meter.accept(chunk);
            if (!before.unchanged()) {
                moved.add("chunk at " + before.position() + " changed");
            }
        });
        return moved;
    }
}
