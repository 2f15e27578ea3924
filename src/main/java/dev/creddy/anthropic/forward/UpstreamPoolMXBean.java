package dev.creddy.anthropic.forward;

/**
 * The upstream connection pool as JMX shows it ({@code creddy:type=UpstreamPool,...}): what ops
 * watch to see exchanges in flight, and what tests read to prove a cancelled exchange let go of
 * its connection.
 */
public interface UpstreamPoolMXBean {

    /** Connections carrying an exchange now. */
    int getLeased();

    /** Exchanges waiting for a connection. */
    int getPending();

    /** Idle connections kept for reuse. */
    int getAvailable();

    /** The pool's size. */
    int getMax();
}
