package dev.creddy.anthropic.usage;

import java.nio.ByteBuffer;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Meters a compressed response: inflates a copy of each chunk, in a fixed buffer, and shows the
 * inflated bytes to the meter it wraps. The chunk itself is only read (through a duplicate), so the
 * compressed bytes go to the client untouched.
 *
 * <p>{@code gzip} (RFC 1952) has its header read here (magic, flags, {@code FEXTRA}, {@code FNAME},
 * {@code FCOMMENT}, {@code FHCRC}) and its data inflated raw; members written one after another are all
 * read, trailing bytes that are not a member are ignored (as {@code gzip -d} does). {@code deflate} is
 * zlib-wrapped (RFC 1950) by the standard, but some servers send raw deflate; like browsers, the first two
 * bytes decide. Checksums are not verified: the client does that, and a meter only counts.
 *
 * <p>Decompression bombs: the inflated bytes are not capped, since the usage of a large (or highly
 * compressible) response comes at its end; instead memory stays fixed (zlib's window plus an
 * {@value #OUTPUT}-byte buffer, and what the wrapped meter keeps) and the work grows linearly with the
 * inflated size. Corrupt data ends the metering with what was inflated before the chunk that held the
 * corruption (zlib's output in the failing call is lost); nothing is thrown.
 *
 * <p>Confined to one exchange, like every {@link ResponseMeter}. The zlib memory is released as soon as
 * the data ends (or is corrupt); for a response cut off mid-way, {@link Inflater}'s cleaner releases it.
 */
public final class InflatingMeter implements ResponseMeter {

    static final int OUTPUT = 8192;

    private enum Format { GZIP, DEFLATE }

    private enum Step {
        /** gzip: the 10 fixed header bytes; deflate: the 2 bytes that tell zlib from raw. */
        HEADER, EXTRA_LENGTH, EXTRA, NAME, COMMENT, HEADER_CRC, DATA, TRAILER, NEXT_MEMBER, DONE
    }

    private static final int FHCRC = 0x02;
    private static final int FEXTRA = 0x04;
    private static final int FNAME = 0x08;
    private static final int FCOMMENT = 0x10;

    private final ResponseMeter inner;
    private final Format format;
    private Step step = Step.HEADER;
    private final byte[] header = new byte[10];
    private int headerRead;
    private int flags;
    private int remaining;
    private Inflater inflater;
    private ByteBuffer output;

    private InflatingMeter(ResponseMeter inner, Format format) {
        this.inner = inner;
        this.format = format;
    }

    /** Meters a {@code gzip} (or {@code x-gzip}) body with {@code inner}. */
    public static ResponseMeter gzip(ResponseMeter inner) {
        return new InflatingMeter(inner, Format.GZIP);
    }

    /** Meters a {@code deflate} body (zlib-wrapped or raw) with {@code inner}. */
    public static ResponseMeter deflate(ResponseMeter inner) {
        return new InflatingMeter(inner, Format.DEFLATE);
    }

    @Override
    public void accept(ByteBuffer chunk) {
        try {
            ByteBuffer input = chunk.duplicate();
            while (input.hasRemaining() && step != Step.DONE) {
                if (step == Step.DATA) {
                    inflate(input);
                } else if (format == Format.GZIP) {
                    gzipFraming(input);
                } else {
                    deflateHeader(input);
                }
            }
        } catch (DataFormatException | RuntimeException e) {
            // Corrupt or unexpected data: meter what was read so far, and nothing more.
            stop();
        }
    }

    @Override
    public Usage usage() {
        return inner.usage();
    }

    @Override
    public boolean complete() {
        return inner.complete();
    }

    private void gzipFraming(ByteBuffer input) {
        int b = input.get() & 0xff;
        switch (step) {
            case HEADER -> {
                header[headerRead++] = (byte) b;
                if (headerRead == 2 && ((header[0] & 0xff) != 0x1f || (header[1] & 0xff) != 0x8b)
                        || headerRead == 3 && b != 8) {
                    stop();
                } else if (headerRead == 10) {
                    flags = header[3] & 0xff;
                    headerRead = 0;
                    afterFlag(0);
                }
            }
            case EXTRA_LENGTH -> {
                remaining |= b << (8 * headerRead++);
                if (headerRead == 2) {
                    headerRead = 0;
                    step = Step.EXTRA;
                    if (remaining == 0) {
                        afterFlag(FEXTRA);
                    }
                }
            }
            case EXTRA -> {
                if (--remaining == 0) {
                    afterFlag(FEXTRA);
                }
            }
            case NAME -> {
                if (b == 0) {
                    afterFlag(FNAME);
                }
            }
            case COMMENT -> {
                if (b == 0) {
                    afterFlag(FCOMMENT);
                }
            }
            case HEADER_CRC -> {
                if (--remaining == 0) {
                    afterFlag(FHCRC);
                }
            }
            case TRAILER -> {
                // CRC32 and ISIZE: left to the client.
                if (--remaining == 0) {
                    step = Step.NEXT_MEMBER;
                }
            }
            case NEXT_MEMBER -> {
                if (b == 0x1f) {
                    header[0] = (byte) b;
                    headerRead = 1;
                    step = Step.HEADER;
                } else {
                    stop();
                }
            }
            default -> throw new IllegalStateException("step " + step);
        }
    }

    /** Moves to the next optional header part after {@code done} (in RFC 1952's order), or to the data. */
    private void afterFlag(int done) {
        int order = done == 0 ? 0 : done == FEXTRA ? 1 : done == FNAME ? 2 : done == FCOMMENT ? 3 : 4;
        if (order < 1 && (flags & FEXTRA) != 0) {
            remaining = 0;
            headerRead = 0;
            step = Step.EXTRA_LENGTH;
        } else if (order < 2 && (flags & FNAME) != 0) {
            step = Step.NAME;
        } else if (order < 3 && (flags & FCOMMENT) != 0) {
            step = Step.COMMENT;
        } else if (order < 4 && (flags & FHCRC) != 0) {
            remaining = 2;
            step = Step.HEADER_CRC;
        } else {
            inflater = new Inflater(true);
            step = Step.DATA;
        }
    }

    private void deflateHeader(ByteBuffer input) throws DataFormatException {
        header[headerRead++] = input.get();
        if (headerRead < 2) {
            return;
        }
        int cmf = header[0] & 0xff;
        int flg = header[1] & 0xff;
        // RFC 1950: compression method 8, a window of at most 32 KB, and a header that is a multiple of 31.
        boolean zlib = (cmf & 0x0f) == 8 && (cmf >> 4) <= 7 && ((cmf << 8) | flg) % 31 == 0;
        inflater = new Inflater(!zlib);
        step = Step.DATA;
        inflate(ByteBuffer.wrap(header, 0, 2));
    }

    private void inflate(ByteBuffer input) throws DataFormatException {
        if (output == null) {
            output = ByteBuffer.allocate(OUTPUT);
        }
        inflater.setInput(input);
        int idle = 0;
        while (!inflater.finished() && !inflater.needsInput()) {
            output.clear();
            int inflated = inflater.inflate(output);
            if (inflated == 0) {
                if (inflater.needsDictionary() || ++idle > 1) {
                    stop();
                    return;
                }
                continue;
            }
            idle = 0;
            output.flip();
            inner.accept(output);
        }
        if (inflater.finished()) {
            // The input buffer's position now stands after the data: the trailer (or nothing) follows.
            inflater.end();
            inflater = null;
            if (format == Format.GZIP) {
                remaining = 8;
                step = Step.TRAILER;
            } else {
                step = Step.DONE;
            }
        }
    }

    private void stop() {
        step = Step.DONE;
        if (inflater != null) {
            inflater.end();
            inflater = null;
        }
    }
}
