package dev.creddy.anthropic.standalone;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What the launcher's client-facing connector allows each client, with defaults chosen for a proxy
 * that unauthenticated clients can reach (tomcat-conf/README.md gives app servers the same values).
 * Immutable.
 *
 * <ul>
 *   <li>{@code maxConnections}: open client connections in all; 0 means sized to the heap
 *       ({@link #PER_CONNECTION_HEAP} each in {@link #HEAP_SHARE} of {@code -Xmx}). A connection whose head
 *       never ends holds read buffers and header state (about 57 KB); at about 9,000 of them a 512 MB proxy ran out
 *       of memory, when the launcher still allowed 20,000.</li>
 *   <li>{@code maxConnectionsPerAddress}: open connections from one client address; 0 switches the cap
 *       off (behind a front proxy every connection has its address).</li>
 *   <li>{@code connectionTimeout}: how long the connector waits for the first byte of a request and for
 *       each further read of its head; a client that drips its head slower is dropped.</li>
 *   <li>{@code uploadTimeout}: how long each read of a request body may wait (Tomcat's
 *       {@code connectionUploadTimeout}, with {@code disableUploadTimeout=false}).</li>
 *   <li>{@code keepAliveTimeout}: how long an idle connection waits for its next request; above the
 *       60 s idle timeout of common load balancers, so the balancer, not the proxy, closes idle pooled
 *       connections (no race on a reused connection).</li>
 *   <li>{@code maxKeepAliveRequests}: requests on one connection before it is closed; Tomcat's 100
 *       makes a front proxy or an SDK open a new connection every 100 calls. -1 is unlimited.</li>
 *   <li>{@code maxSwallowSize}: how much of a body the application left unread Tomcat still reads to keep
 *       the connection; past it the connection is closed instead (Tomcat's default is 2 MB, a thread's
 *       worth of drip per refused request).</li>
 *   <li>{@code maxThreads}: Tomcat's request threads; 0 means {@link #THREADS_PER_CORE} per core, at least
 *       {@link #MIN_AUTOMATIC_THREADS}. Exchanges run asynchronously, so a thread is held only while a
 *       request is authenticated and admitted (a Redis round trip at most): Tomcat's 200 only let bursts of
 *       new streams grow the JVM to 231 threads at 9,900 streams (bench/README).</li>
 * </ul>
 */
record ConnectorLimits(int maxConnections, int maxConnectionsPerAddress, Duration connectionTimeout,
        Duration uploadTimeout, Duration keepAliveTimeout, int maxKeepAliveRequests, int maxSwallowSize, int maxThreads) {

    /**
     * Heap one half-open client connection holds, measured on this launcher (tomcat-conf/README.md,
     * "Connection limits"), rounded up.
     */
    static final long PER_CONNECTION_HEAP = 64 * 1024;
    /** The part of the heap half-open connections may take: the rest serves streams and tokens. */
    static final double HEAP_SHARE = 0.4;
    /** The automatic size never goes above this (file descriptors, the poller's work per wake-up). */
    static final int MAX_AUTOMATIC_CONNECTIONS = 20_000;

    /** Request threads per core when {@code --max-threads} is not given. */
    static final int THREADS_PER_CORE = 16;
    /** The automatic thread count never goes below this, so a few slow Redis calls cannot stall a small machine. */
    static final int MIN_AUTOMATIC_THREADS = 32;

    static final ConnectorLimits DEFAULTS = new ConnectorLimits(0, 256, Duration.ofSeconds(20),
            Duration.ofSeconds(30), Duration.ofSeconds(65), 10_000, 4 * 1024, 0);

    /** The launcher flags that set a limit. */
    static final Set<String> FLAGS = Set.of("max-client-connections", "max-connections-per-address",
            "connection-timeout", "upload-timeout", "keep-alive-timeout", "max-keep-alive-requests", "max-swallow-size", "max-threads");

    ConnectorLimits {
        if (maxConnections < 0 || maxConnectionsPerAddress < 0 || maxSwallowSize < 0 || maxThreads < 0 || maxKeepAliveRequests < -1
                || maxKeepAliveRequests == 0) {
            throw new IllegalArgumentException("connector limits out of range");
        }
    }

    /**
     * The limits with the flags given on the command line (flag name without {@code --} to value).
     *
     * @throws IllegalArgumentException naming the flag, with the value (none of these is a secret)
     */
    static ConnectorLimits parse(Map<String, String> flags) {
        ConnectorLimits d = DEFAULTS;
        return new ConnectorLimits(
                count(flags, "max-client-connections", d.maxConnections, 0),
                count(flags, "max-connections-per-address", d.maxConnectionsPerAddress, 0),
                duration(flags, "connection-timeout", d.connectionTimeout),
                duration(flags, "upload-timeout", d.uploadTimeout),
                duration(flags, "keep-alive-timeout", d.keepAliveTimeout),
                keepAliveRequests(flags, d.maxKeepAliveRequests),
                size(flags, "max-swallow-size", d.maxSwallowSize),
                count(flags, "max-threads", d.maxThreads, 1));
    }

    /** {@link #maxThreads}, or {@link #THREADS_PER_CORE} per core, at least {@link #MIN_AUTOMATIC_THREADS}. */
    int effectiveMaxThreads(int cores) {
        return maxThreads > 0 ? maxThreads : Math.max(MIN_AUTOMATIC_THREADS, THREADS_PER_CORE * cores);
    }

    /** {@link #maxConnections}, or the heap's share divided by the measured cost of a connection. */
    int effectiveMaxConnections(long maxHeap) {
        if (maxConnections > 0) {
            return maxConnections;
        }
        long automatic = (long) (maxHeap * HEAP_SHARE) / PER_CONNECTION_HEAP;
        return (int) Math.max(256, Math.min(MAX_AUTOMATIC_CONNECTIONS, automatic));
    }

    private static int count(Map<String, String> flags, String flag, int fallback, int minimum) {
        String raw = flags.get(flag);
        if (raw == null) {
            return fallback;
        }
        try {
            int value = Integer.parseInt(raw.strip());
            if (value >= minimum) {
                return value;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new IllegalArgumentException("--" + flag + " \"" + raw + "\" must be a whole number, " + minimum + " or more");
    }

    private static int keepAliveRequests(Map<String, String> flags, int fallback) {
        String raw = flags.get("max-keep-alive-requests");
        if (raw == null) {
            return fallback;
        }
        try {
            int value = Integer.parseInt(raw.strip());
            if (value == -1 || value > 0) {
                return value;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new IllegalArgumentException("--max-keep-alive-requests \"" + raw + "\" must be a whole number above zero, or -1 (unlimited)");
    }

    /** Go-style {@code 500ms}, {@code 20s}, {@code 2m}: the launcher cannot see the application's parser. */
    private static Duration duration(Map<String, String> flags, String flag, Duration fallback) {
        String raw = flags.get(flag);
        if (raw == null) {
            return fallback;
        }
        String text = raw.strip().toLowerCase(Locale.ROOT);
        long factor;
        String digits;
        if (text.endsWith("ms")) {
            factor = 1;
            digits = text.substring(0, text.length() - 2);
        } else if (text.endsWith("s")) {
            factor = 1000;
            digits = text.substring(0, text.length() - 1);
        } else if (text.endsWith("m")) {
            factor = 60_000;
            digits = text.substring(0, text.length() - 1);
        } else {
            throw new IllegalArgumentException("--" + flag + " \"" + raw + "\" needs a unit: ms, s or m, e.g. 20s");
        }
        try {
            long millis = Math.multiplyExact(Long.parseLong(digits), factor);
            if (millis > 0 && millis <= Integer.MAX_VALUE) {
                return Duration.ofMillis(millis);
            }
        } catch (NumberFormatException | ArithmeticException e) {
            // answered below
        }
        throw new IllegalArgumentException("--" + flag + " \"" + raw + "\" must be a duration above zero, e.g. 20s");
    }

    /** Bytes, with an optional {@code KB} or {@code MB} (powers of 1024). */
    private static int size(Map<String, String> flags, String flag, int fallback) {
        String raw = flags.get(flag);
        if (raw == null) {
            return fallback;
        }
        String text = raw.strip().toUpperCase(Locale.ROOT);
        int factor = 1;
        if (text.endsWith("KB")) {
            factor = 1024;
            text = text.substring(0, text.length() - 2);
        } else if (text.endsWith("MB")) {
            factor = 1024 * 1024;
            text = text.substring(0, text.length() - 2);
        } else if (text.endsWith("B")) {
            text = text.substring(0, text.length() - 1);
        }
        try {
            long bytes = Math.multiplyExact(Long.parseLong(text.strip()), factor);
            if (bytes >= 0 && bytes <= Integer.MAX_VALUE) {
                return (int) bytes;
            }
        } catch (NumberFormatException | ArithmeticException e) {
            // answered below
        }
        throw new IllegalArgumentException("--" + flag + " \"" + raw + "\" must be a size, e.g. 4KB");
    }
}
