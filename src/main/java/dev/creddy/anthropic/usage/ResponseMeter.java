package dev.creddy.anthropic.usage;

import java.nio.ByteBuffer;

/**
 * Reads the token usage out of one upstream response body while the body passes to the client: it
 * sees every chunk as it goes by, keeps only what it needs to find {@code usage} (never the body),
 * and never changes or delays the bytes.
 *
 * <p>Confined to one exchange: the response pump calls it from one thread at a time, in body order.
 */
public interface ResponseMeter {

    /** A meter that reads nothing, for responses that carry no usage. */
    ResponseMeter NONE = new ResponseMeter() {
        @Override
        public void accept(ByteBuffer chunk) {
            // nothing to read
        }

        @Override
        public Usage usage() {
            return Usage.ZERO;
        }
    };

    /**
     * The next chunk of the body as it arrived (still encoded, when the response is compressed). The
     * meter reads it without moving the buffer's position and does not keep it.
     */
    void accept(ByteBuffer chunk);

    /** The tokens read so far, priced when the meter knows the model; final once the body has ended. */
    Usage usage();

    /**
     * Whether the body carried the upstream's last word on usage (a stream's {@code message_stop});
     * when not, {@link #usage()} is what was reported before the end, a partial figure.
     */
    default boolean complete() {
        return true;
    }
}
