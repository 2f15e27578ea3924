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

    /**
     * The live tokens of one identity subject, scored by expiry (ms), for revoking all of them at once.
     * Keyed by a digest of the subject (any text an issuer chose, braces included), so the key is tame and
     * its slot its own; the token records say whose they are.
     */
    public String subjectTokens(String subjectDigest) {
        return prefix + "subject:{" + subjectDigest + "}:tokens";
    }

    /**
     * One key of the gateway sign-in's state ({@code grant:<digest>}, {@code user-code:<code>},
     * {@code pending}, {@code session:<chain>}, {@code refresh:<digest>}, {@code access:<id>},
     * {@code subject:<digest>}): all under the one hash tag {@code {signin}}, so that each sign-in script
     * sees every key it needs in one Cluster slot. Sign-ins are rare next to requests; one slot carries them.
     */
    public String signIn(String rest) {
        return prefix + "{signin}:" + rest;
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
     * Who created one file or Message Batch through the proxy ({@code kind} is {@code file} or
     * {@code batch}), tagged with the object's id.
     */
    public String objectOwner(String kind, String id) {
        return prefix + "owner:" + kind + ":{" + id + "}";
    }

    /** The dollar reservations of one token's requests in flight, scored by when each lapses: in the token's slot. */
    public String spendHolds(String id) {
        return prefix + "usage:{" + id + "}:holds";
    }

    /** One agent's dollars spent per UTC hour (fields {@code h:<hours since the epoch>}), for its rolling budget. */
    public String agentSpend(String agent) {
        return prefix + "spend:{agent:" + agent + "}";
    }

    /** The dollar reservations of one agent's requests in flight, in the agent's slot. */
    public String agentSpendHolds(String agent) {
        return prefix + "spend:{agent:" + agent + "}:holds";
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
