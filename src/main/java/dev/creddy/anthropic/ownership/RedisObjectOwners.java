package dev.creddy.anthropic.ownership;

import dev.creddy.anthropic.token.RedisKeys;
import dev.creddy.anthropic.token.RedisLink;
import io.lettuce.core.KeyValue;
import io.lettuce.core.SetArgs;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Object owners every instance shares, in Redis, over the token store's own connection: one string
 * key per object, {@code <prefix>owner:<kind>:{<id>}} ({@link RedisKeys#objectOwner}), holding the
 * {@link Owner}. A batch's key expires with {@link ObjectKind#kept()} (30 days); a file's has no
 * expiry, since a file lives until it is deleted, and the key goes when the file is deleted through
 * the proxy. One key per object keeps every record apart from the others under eviction (but run
 * Redis with {@code maxmemory-policy noeviction}, as for tokens: an evicted record makes its object
 * unreachable, never someone else's). A listing reads its page's owners with one {@code MGET}, which
 * Lettuce splits by slot on a Cluster.
 *
 * <p>While Redis is out of reach every method fails with the link's
 * {@link dev.creddy.anthropic.token.TokenStoreUnavailableException}: the proxy then refuses the call
 * (503) rather than guess. Thread-safe; the token store opens and closes the link.
 */
public final class RedisObjectOwners implements ObjectOwners {

    private final RedisLink link;
    private final RedisKeys keys;

    public RedisObjectOwners(RedisLink link) {
        this.link = link;
        this.keys = new RedisKeys(link.keyPrefix());
    }

    @Override
    public CompletionStage<Void> record(ObjectKind kind, String id, String owner) {
        SetArgs args = kind.kept().map(kept -> SetArgs.Builder.px(kept.toMillis())).orElse(null);
        String key = keys.objectOwner(kind.key(), id);
        return link.<String>callAsync(redis -> args == null ? redis.set(key, owner) : redis.set(key, owner, args))
                .thenApply(ok -> null);
    }

    @Override
    public Optional<String> ownerOf(ObjectKind kind, String id) {
        return Optional.ofNullable(link.call(redis -> redis.get(keys.objectOwner(kind.key(), id))));
    }

    @Override
    public CompletionStage<Map<String, String>> ownersOf(ObjectKind kind, Collection<String> ids) {
        List<String> idList = List.copyOf(ids);
        if (idList.isEmpty()) {
            return java.util.concurrent.CompletableFuture.completedFuture(Map.of());
        }
        String[] redisKeys = new String[idList.size()];
        for (int i = 0; i < redisKeys.length; i++) {
            redisKeys[i] = keys.objectOwner(kind.key(), idList.get(i));
        }
        return link.<List<KeyValue<String, String>>>callAsync(redis -> redis.mget(redisKeys)).thenApply(values -> {
            Map<String, String> owners = new HashMap<>();
            List<KeyValue<String, String>> answered = new ArrayList<>(values);
            for (int i = 0; i < answered.size() && i < idList.size(); i++) {
                if (answered.get(i).hasValue()) {
                    owners.put(idList.get(i), answered.get(i).getValue());
                }
            }
            return owners;
        });
    }

    @Override
    public CompletionStage<Void> forget(ObjectKind kind, String id) {
        return link.<Long>callAsync(redis -> redis.del(keys.objectOwner(kind.key(), id))).thenApply(deleted -> null);
    }
}
