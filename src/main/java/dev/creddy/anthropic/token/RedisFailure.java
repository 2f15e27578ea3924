package dev.creddy.anthropic.token;

import io.lettuce.core.RedisCommandTimeoutException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What went wrong when Redis was asked, in the words an operator needs: the kinds the readiness
 * check, the logs and the link's error metrics name. Derived from Lettuce's exception and Redis's
 * own error code (the first word of its reply: {@code WRONGPASS}, {@code NOPERM}, {@code OOM},
 * {@code READONLY}…), which never quote a key, a value or a password. Immutable.
 *
 * @param kind the family, for metrics and for what the link does about it
 * @param detail a short phrase for messages, e.g. {@code permission denied: the Redis user may not run 'del'}
 */
public record RedisFailure(Kind kind, String detail) {

    /** The families of failure; {@link #tag()} is the metric's label. */
    public enum Kind {
        /** The password (or user) was refused: WRONGPASS, NOAUTH, invalid username-password pair. */
        AUTHENTICATION("authentication"),
        /** An ACL rule refused a command or a key: NOPERM. */
        PERMISSION("permission"),
        /** maxmemory is reached and the policy refuses writes: OOM. */
        OUT_OF_MEMORY("oom"),
        /** The node is a replica: READONLY. The link moves to the current primary. */
        READ_ONLY("readonly"),
        /** No answer within the command timeout. */
        TIMEOUT("timeout"),
        /** The link is failing fast after repeated timeouts, until Redis answers a ping again. */
        CIRCUIT_OPEN("circuit_open"),
        /** No connection: refused, reset, unknown host, TLS handshake failed, not connected yet. */
        UNREACHABLE("unreachable"),
        /** Redis answered with another error (e.g. a cluster that refuses the keys of one script). */
        ERROR("error");

        private final String tag;

        Kind(String tag) {
            this.tag = tag;
        }

        public String tag() {
            return tag;
        }
    }

    private static final Pattern NOPERM_COMMAND = Pattern.compile("run the '([a-z0-9|_ -]+)' command", Pattern.CASE_INSENSITIVE);

    /** Classifies a failure thrown by Lettuce (or anything it wrapped). */
    public static RedisFailure of(Throwable failure) {
        if (failure instanceof RedisCommandTimeoutException) {
            return new RedisFailure(Kind.TIMEOUT, "did not answer in time");
        }
        for (Throwable cause = failure; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            String message = cause.getMessage() == null ? "" : cause.getMessage();
            String upper = message.toUpperCase(Locale.ROOT);
            if (upper.startsWith("WRONGPASS") || upper.startsWith("NOAUTH") || upper.contains("INVALID USERNAME-PASSWORD")
                    || upper.contains("INVALID PASSWORD")) {
                return new RedisFailure(Kind.AUTHENTICATION, "authentication failed: Redis refused the user or password");
            }
            if (upper.contains("CAN'T RUN THIS COMMAND")) {
                return new RedisFailure(Kind.PERMISSION, "permission denied: an ACL rule refused a command a script runs");
            }
            if (upper.startsWith("NOPERM")) {
                Matcher command = NOPERM_COMMAND.matcher(message);
                return new RedisFailure(Kind.PERMISSION, command.find()
                        ? "permission denied: the Redis user may not run '" + command.group(1).toLowerCase(Locale.ROOT) + "'"
                        : "permission denied: an ACL rule refused a command or key (" + firstWords(message) + ")");
            }
            if (upper.startsWith("OOM")) {
                return new RedisFailure(Kind.OUT_OF_MEMORY,
                        "out of memory: Redis reached maxmemory and refuses writes (raise maxmemory; keep maxmemory-policy noeviction)");
            }
            if (upper.startsWith("READONLY")) {
                return new RedisFailure(Kind.READ_ONLY, "read-only: the node is a replica, not the primary");
            }
            if (upper.startsWith("ERR") || upper.startsWith("CROSSSLOT") || upper.startsWith("MOVED") || upper.startsWith("NOSCRIPT")
                    || upper.startsWith("LOADING") || upper.startsWith("BUSY") || upper.startsWith("MASTERDOWN")
                    || upper.startsWith("CLUSTERDOWN") || upper.startsWith("TRYAGAIN")) {
                return new RedisFailure(Kind.ERROR, "Redis answered " + firstWords(message));
            }
        }
        return new RedisFailure(Kind.UNREACHABLE, "unreachable");
    }

    /** Redis's error code and at most a few words after it: its messages name commands, never keys or values. */
    private static String firstWords(String message) {
        String[] words = message.split(" ", 6);
        return String.join(" ", java.util.Arrays.copyOf(words, Math.min(words.length, 5)));
    }
}
