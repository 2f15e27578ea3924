package dev.creddy.anthropic.usage;

import dev.creddy.anthropic.token.TokenRecord;

/**
 * Holds tokens and agents to the requests they may have in flight at once ({@code max_concurrent}
 * per token, {@code agent-concurrency} per agent): an exchange takes a {@link Slot} when it is
 * admitted and gives it back when it ends, however it ends (completed, failed, the client gone).
 * In memory for one instance; in Redis for several, where a slot is a lease its instance renews
 * while the exchange runs, so the slots of an instance that dies come back when their leases run out.
 *
 * <p>Thread-safe. A store that lives elsewhere can be out of reach: then {@link #enter} throws
 * {@link dev.creddy.anthropic.token.TokenStoreUnavailableException} within the store's timeout.
 */
public interface ConcurrencyGate {

    /** What {@link #enter} calls the limits it holds requests to, as refusals name them. */
    String MAX_CONCURRENT = "max_concurrent";
    /** The per-agent cap's name, as refusals name it. */
    String AGENT_CONCURRENCY = "agent-concurrency";

    /** One exchange's place in its token's and its agent's counts. */
    interface Slot {
        /** Holds no place: the token and its agent have no cap. */
        Slot NONE = () -> { };

        /** Gives the place back; idempotent, never throws, never waits for a remote store. */
        void release();
    }

    /**
     * The answer to "may this token start one more request now?".
     *
     * @param slot the place taken, {@link Slot#NONE} when nothing caps the request; null when refused
     * @param refusedBy {@link #MAX_CONCURRENT} or {@link #AGENT_CONCURRENCY} when refused, else null
     * @param limit the cap that refused it, else 0
     */
    record Entry(Slot slot, String refusedBy, long limit) {
        static final Entry FREE = new Entry(Slot.NONE, null, 0);

        public boolean admitted() {
            return slot != null;
        }

        static Entry refused(String by, long limit) {
            return new Entry(null, by, limit);
        }
    }

    /**
     * Takes a place for one more request of {@code token}, or refuses it, taking nothing.
     *
     * @param agentCap the token's agent's cap ({@code agent-concurrency}), 0 for none
     */
    Entry enter(TokenRecord token, long agentCap);

    /** Slots this instance holds now, for the concurrency-in-use gauge. */
    long inUse();
}
