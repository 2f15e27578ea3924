package dev.creddy.anthropic.usage;

import dev.creddy.anthropic.token.RedisLink;
import dev.creddy.anthropic.token.RedisScript;
import io.lettuce.core.ScriptOutputType;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * {@link BatchCharges} every instance shares, in Redis: per batch one hash
 * {@code <prefix>batch-charges:{<batch id>}} with the largest figures a download of its results read
 * (fields {@code input_tokens}, {@code output_tokens}, {@code cache_creation_input_tokens},
 * {@code cache_read_input_tokens}, {@code cost_micros}, {@code unpriced}), expiring
 * {@link BatchCharges#KEPT} after the last download. A claim is one script, so two instances that
 * finish a download of the same results at the same moment cannot both charge it.
 *
 * <p>Thread-safe; the token store opens and closes the link.
 */
final class RedisBatchCharges implements BatchCharges {

    private static final RedisScript CLAIM = new RedisScript(RedisScript.GRANTS + """
            -- KEYS: the batch's charges
            -- ARGV: expires in (ms), then the six parts: what this download read
            -- Returns what the download adds, part by part (decimal strings).
            require({'hmget', KEYS[1], 'f'}, {'hset', KEYS[1], 'f', 'v'}, {'pexpire', KEYS[1], '1'})
            local parts = {'input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens',
              'cost_micros', 'unpriced'}
            local had = redis.call('HMGET', KEYS[1], unpack(parts))
            local fresh = {}
            for i, part in ipairs(parts) do
              local before = tonumber(had[i] or '0') or 0
              local read = tonumber(ARGV[1 + i])
              if read > before then
                redis.call('HSET', KEYS[1], part, ARGV[1 + i])
                fresh[i] = string.format('%d', read - before)
              else
                fresh[i] = '0'
              end
            end
            redis.call('PEXPIRE', KEYS[1], ARGV[1])
            return fresh
            """);

    private final RedisLink link;
    private final String prefix;

    RedisBatchCharges(RedisLink link) {
        this.link = link;
        this.prefix = link.keyPrefix();
    }

    /** The batch id is the hash tag: the one key of a claim. */
    String key(String batchId) {
        return prefix + "batch-charges:{" + batchId + "}";
    }

    @Override
    public CompletionStage<Usage> claim(String batchId, Usage read, Instant now) {
        Usage bounded = UsageCounts.bounded(read);
        String[] args = {Long.toString(KEPT.toMillis()), Long.toString(bounded.inputTokens()),
            Long.toString(bounded.outputTokens()), Long.toString(bounded.cacheCreationInputTokens()),
            Long.toString(bounded.cacheReadInputTokens()), Long.toString(bounded.costMicros()),
            Long.toString(bounded.unpriced())};
        return link.<List<Object>>callAsync(redis -> CLAIM.<List<Object>>runAsync(redis, ScriptOutputType.MULTI,
                new String[] {key(batchId)}, args)).thenApply(reply -> new Usage(0, part(reply, 0), part(reply, 1),
                        part(reply, 2), part(reply, 3), 0, part(reply, 4), part(reply, 5), 0));
    }

    private static long part(List<Object> reply, int index) {
        Object value = reply.get(index);
        return value instanceof Long number ? number : Long.parseLong(value.toString());
    }
}
