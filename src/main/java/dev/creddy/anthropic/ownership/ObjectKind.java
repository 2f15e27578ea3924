package dev.creddy.anthropic.ownership;

import java.time.Duration;
import java.util.Optional;

/**
 * The workspace objects the proxy records owners for, with how long a record is kept. Immutable.
 */
public enum ObjectKind {
    /**
     * A file of the Files API. Anthropic keeps files until they are deleted, so the record is kept
     * until the file is deleted through the proxy: no expiry could outlive a file.
     */
    FILE("file", Optional.empty()),
    /**
     * A Message Batch. Its results can be downloaded for 29 days after it was created (Anthropic's
     * documented lifetime); the record is kept a day longer, so it never expires before the batch.
     */
    BATCH("batch", Optional.of(Duration.ofDays(30)));

    private final String key;
    private final Optional<Duration> kept;

    ObjectKind(String key, Optional<Duration> kept) {
        this.key = key;
        this.kept = kept;
    }

    /** The kind's name in store keys and messages: {@code file} or {@code batch}. */
    public String key() {
        return key;
    }

    /** How long an owner record is kept after the object was created; empty: until the object is deleted. */
    public Optional<Duration> kept() {
        return kept;
    }
}
