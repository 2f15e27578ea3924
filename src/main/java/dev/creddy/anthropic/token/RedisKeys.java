package dev.creddy.anthropic.token;

/**
 * Every Redis key and the channel the proxy uses, under one prefix ({@code redis-key-prefix},
 * default {@code creddy:}). Keys that one script touches together share a Cluster hash slot through
 * a hash tag ({@code {…}}): a token's own key is tagged with its id, its usage keys with the same id,
 * the token index's two sets with {@code {tokens}}, an hour's usage index with that hour.
 *
 * <p>Immutable and thread-safe.
 */
public final class RedisKeys {

    private final String prefix;

    public RedisKeys(String prefix) {
        this.prefix = prefix;
    }

    /** One token's record, keyed by its id (derived from the secret): one key per token, so nothing else can be evicted apart from it. */
    public String token(String id) {
        return prefix + "token:{" + id + "}";
    }

    /** The live tokens' ids, all scored 0, for listing in id order. */
    public String tokensById() {
        return prefix + "{tokens}:by-id";
    }

    /** The same ids scored by expiry (ms), so expired entries are found and trimmed. */
    public String tokensByExpiry() {
        return prefix + "{tokens}:by-expiry";
    }

    /** The channel revocations are published on (a channel, not a key). */
    public String revocations() {
        return prefix + "revocations";
    }

    /** This instance's readiness probe key, written with a short expiry. */
    public String probe(String clientName) {
        return prefix + "probe:{" + clientName + "}";
    }

    /** One token's usage: its life total and current window, in one hash. */
    public String usage(String id) {
        return prefix + "usage:{" + id + "}";
    }

    /** One token's usage in one UTC hour ({@code yyyy-MM-ddTHH}). */
    public String usageHour(String id, String hour) {
        return prefix + "usage:{" + id + "}:hour:" + hour;
    }

    /** The tokens with usage in one UTC hour, as {@code <agent>\u0001<id>} members scored 0: ordered like reports. */
    public String usageHourIndex(String hour) {
        return prefix + "{usage-hour:" + hour + "}:tokens";
    }

    /**
     * One token's requests in flight: a sorted set of lease ids scored by when each lease runs out
     * (ms, Redis's clock). In the token's own slot, so a renewal can see whether the token still exists.
     */
    public String concurrency(String id) {
        return prefix + "concurrency:{" + id + "}";
    }

    /** One agent's requests in flight across all its tokens, like {@link #concurrency}, tagged with the agent's name. */
    public String agentConcurrency(String agentName) {
        return prefix + "concurrency:{agent:" + agentName + "}";
    }
}
