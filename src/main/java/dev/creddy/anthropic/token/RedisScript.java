package dev.creddy.anthropic.token;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * One Lua script, run with {@code EVALSHA} so that only its 40-character digest travels with each
 * call; a node that does not know it yet ({@code NOSCRIPT}: restarted, failed over, another Cluster
 * node) gets the text once with {@code EVAL}, which also caches it there.
 *
 * <p>Every key a script touches is in its {@code KEYS} (none is built inside Lua), so a Cluster
 * routes it and can check that its keys share a slot. Immutable and thread-safe.
 */
public final class RedisScript {

    /**
     * Lua that refuses, before anything is written, when the Redis user may not run one of the
     * commands the script is about to: an ACL failure halfway would leave half a change, since
     * Redis does not roll scripts back. {@code redis.acl_check_cmd} exists from Redis 7.0 (and
     * Valkey); older servers skip the check.
     */
    public static final String GRANTS = """
            local function require(...)
              if redis.acl_check_cmd == nil then
                return
              end
              for _, check in ipairs({...}) do
                if not redis.acl_check_cmd(unpack(check)) then
                  error({err = "NOPERM this user has no permissions to run the '" .. check[1] .. "' command"})
                end
              end
            end
            """;

    private final String text;
    private final String sha;

    public RedisScript(String text) {
        this.text = text;
        try {
            this.sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-1", e);
        }
    }

    /** Runs the script and waits for its answer. */
    public <T> T run(RedisClusterCommands<String, String> redis, ScriptOutputType type, String[] keys, String... args) {
        try {
            return redis.evalsha(sha, type, keys, args);
        } catch (RedisNoScriptException e) {
            return redis.eval(text, type, keys, args);
        }
    }

    /** Sends the script; the future completes on a Lettuce thread. */
    public <T> CompletableFuture<T> runAsync(RedisClusterAsyncCommands<String, String> redis, ScriptOutputType type,
            String[] keys, String... args) {
        RedisFuture<T> first = redis.evalsha(sha, type, keys, args);
        return first.toCompletableFuture().handle((value, failure) -> {
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
            if (cause instanceof RedisNoScriptException) {
                return redis.<T>eval(text, type, keys, args).toCompletableFuture();
            }
            return failure == null ? CompletableFuture.completedFuture(value) : CompletableFuture.<T>failedFuture(cause);
        }).thenCompose(stage -> stage);
    }

    /** The digest {@code EVALSHA} names the script by. */
    public String sha() {
        return sha;
    }
}
