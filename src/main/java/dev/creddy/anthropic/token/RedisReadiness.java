package dev.creddy.anthropic.token;

import io.lettuce.core.ScriptOutputType;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Whether Redis can serve this proxy now, told in words: checked on every readiness probe, and once
 * at start-up for the log. Three questions, in one {@code INFO} and one script:
 * <ol>
 * <li>Can tokens be evicted? Every key has a TTL, so any {@code maxmemory-policy} but
 *     {@code noeviction} ({@code volatile-*} as much as {@code allkeys-*}) lets Redis drop live
 *     tokens silently: not ready, saying to use {@code noeviction}.</li>
 * <li>Does the Redis user hold every grant the scripts need? The probe script asks
 *     {@code redis.acl_check_cmd} for each command on keys of the proxy's own shape, and names the
 *     first that is refused.</li>
 * <li>Is this a writable primary with memory to spare? The script ends with a write (a short-lived
 *     probe key): a replica answers {@code READONLY}, a full Redis under {@code noeviction}
 *     answers {@code OOM}.</li>
 * </ol>
 * Any failure is the link's, in its words: authentication failed, permission denied (naming the
 * command), out of memory, read-only, did not answer, unreachable.
 *
 * <p>Thread-safe: stateless but for the link and the keys.
 */
final class RedisReadiness {

    private static final Logger LOG = Logger.getLogger(RedisReadiness.class.getName());

    /** Every command the proxy sends, with arguments of the shape it sends them (ACL rules may depend on keys and channels). */
    private static final RedisScript PROBE = new RedisScript(RedisScript.GRANTS + """
            -- KEYS: the probe key
            -- ARGV: a token key, the by-id index, the by-expiry index, a usage key, a usage hour key, an hour index,
            --       the revocation channel, a subject's token index, a sign-in key
            require({'evalsha', 'x', '0'}, {'eval', 'x', '0'}, {'ping'}, {'info', 'memory'},
              {'hset', ARGV[1], 'f', 'v'}, {'pexpire', ARGV[1], '1'}, {'hget', ARGV[1], 'f'}, {'hgetall', ARGV[1]},
              {'del', ARGV[1]}, {'publish', ARGV[7], 'm'}, {'subscribe', ARGV[7]},
              {'zadd', ARGV[2], '0', 'm'}, {'zadd', ARGV[3], '0', 'm'}, {'zrem', ARGV[2], 'm'}, {'zrem', ARGV[3], 'm'},
              {'zrangebylex', ARGV[2], '-', '+'}, {'zrangebyscore', ARGV[3], '0', '1'}, {'zmscore', ARGV[3], 'm'},
              {'zcount', ARGV[3], '0', '1'},
              {'hincrby', ARGV[4], 'f', '1'}, {'hmget', ARGV[4], 'f'}, {'hset', ARGV[4], 'f', 'v'}, {'pexpire', ARGV[4], '1'},
              {'hgetall', ARGV[4]},
              {'hincrby', ARGV[5], 'f', '1'}, {'hsetnx', ARGV[5], 'f', 'v'}, {'pexpire', ARGV[5], '1'}, {'hgetall', ARGV[5]},
              {'zadd', ARGV[6], '0', 'm'}, {'pexpire', ARGV[6], '1'}, {'zrangebylex', ARGV[6], '-', '+'},
              {'zremrangebyscore', ARGV[8], '0', '1'}, {'zrange', ARGV[8], '0', '0'}, {'pexpire', ARGV[8], '1'},
              {'zadd', ARGV[8], '0', 'm'}, {'zrem', ARGV[8], 'm'}, {'zrangebyscore', ARGV[8], '0', '1'},
              {'get', ARGV[9]}, {'set', ARGV[9], 'v'}, {'del', ARGV[9]}, {'exists', ARGV[9]}, {'zcard', ARGV[9]},
              {'hget', ARGV[9], 'f'}, {'hset', ARGV[9], 'f', 'v'}, {'sadd', ARGV[9], 'm'}, {'srem', ARGV[9], 'm'},
              {'smembers', ARGV[9]}, {'pttl', ARGV[9]}, {'pexpire', ARGV[9], '1'}, {'mget', ARGV[9]},
              {'set', KEYS[1], '1'})
            redis.call('SET', KEYS[1], '1', 'PX', '10000')
            return 'ok'
            """);

    private final RedisLink link;
    private final RedisKeys keys;

    RedisReadiness(RedisLink link, RedisKeys keys) {
        this.link = link;
        this.keys = keys;
    }

    /** Logs, once, what would keep the proxy from being ready; the readiness probe keeps asking. */
    void checkAtStartUp() {
        problem().ifPresent(problem -> LOG.warning(() -> "token store: not ready: " + problem));
    }

    /** Why Redis cannot serve the proxy now, or empty. */
    Optional<String> problem() {
        try {
            String memory = link.call(redis -> redis.info("memory"));
            String policy = field(memory, "maxmemory_policy").orElse("unknown");
            if (!policy.equals("noeviction")) {
                return Optional.of("token store unavailable: Redis may evict tokens (maxmemory-policy is " + policy
                        + "): set maxmemory-policy to noeviction, or live tokens vanish and revocations can be undone");
            }
            String probeKey = keys.probe(link.clientName());
            link.call(redis -> PROBE.<String>run(redis, ScriptOutputType.STATUS, new String[] {probeKey},
                    keys.token("tok_readinessprobe00"), keys.tokensById(), keys.tokensByExpiry(), keys.usage("tok_readinessprobe00"),
                    keys.usageHour("tok_readinessprobe00", "2000-01-01T00"), keys.usageHourIndex("2000-01-01T00"),
                    keys.revocations(), keys.subjectTokens("readinessprobe"), keys.signIn("probe")));
            return Optional.empty();
        } catch (TokenStoreUnavailableException e) {
            return Optional.of(e.getMessage());
        }
    }

    /** One {@code name:value} line of an INFO section. */
    static Optional<String> field(String info, String name) {
        for (String line : info.split("\r?\n")) {
            if (line.startsWith(name + ":")) {
                return Optional.of(line.substring(name.length() + 1).strip());
            }
        }
        return Optional.empty();
    }
}
