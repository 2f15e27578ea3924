package dev.creddy.anthropic.config;

import java.util.Locale;

/** Where tokens live: in this instance's memory, or in Redis shared by every instance. */
public enum TokenStoreKind {
    MEMORY,
    REDIS;

    /** The operator-facing name, as the {@code token-store} setting spells it. */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    static TokenStoreKind parse(String raw) {
        return switch (raw.toLowerCase(Locale.ROOT)) {
            case "memory" -> MEMORY;
            case "redis" -> REDIS;
            default -> throw new IllegalArgumentException("must be memory or redis");
        };
    }
}
