package dev.creddy.anthropic.observe;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps the {@code agent} tag of the metrics bounded: the first {@code max} distinct agent names get
 * their own tag value, every later one shares {@value #OTHER}, and a request with no known caller is
 * {@value #NONE}. Agent names come from whoever issues tokens, so without a cap a script issuing
 * tokens with fresh names would grow the metrics without limit.
 *
 * <p>Thread-safe: admitted names only grow, up to the cap, under a lock; lookups are lock-free.
 */
final class AgentTags {

    /** The tag of agents past the cap. */
    static final String OTHER = "other";
    /** The tag of requests whose caller is unknown (refused before a token was found valid). */
    static final String NONE = "none";

    private final int max;
    private final Set<String> admitted = ConcurrentHashMap.newKeySet();

    AgentTags(int max) {
        this.max = max;
    }

    /** The tag value for {@code agentName} (null when the caller is unknown). */
    String tagFor(String agentName) {
        if (agentName == null) {
            return NONE;
        }
        if (admitted.contains(agentName)) {
            return agentName;
        }
        synchronized (this) {
            if (admitted.size() < max) {
                admitted.add(agentName);
                return agentName;
            }
        }
        return OTHER;
    }
}
