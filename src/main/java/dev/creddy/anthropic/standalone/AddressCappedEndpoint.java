package dev.creddy.anthropic.standalone;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import org.apache.tomcat.util.net.NioChannel;
import org.apache.tomcat.util.net.NioEndpoint;
import org.apache.tomcat.util.net.SocketWrapperBase;

/**
 * Tomcat's NIO endpoint with a cap on the connections one client address may hold open at once.
 *
 * <p>Why here: Tomcat has no such cap, and a Valve or a servlet filter sees a connection only once a
 * whole request head has arrived, which a slowloris client never sends; {@code maxConnections} alone
 * lets one address take every slot. The endpoint's acceptor is the first code that sees an accepted
 * socket ({@link #setSocketOptions}): refusing there closes it before any buffer is allocated for
 * it. Counting uses the endpoint's own table of open connections, which Tomcat fills when a connection
 * is registered and empties when it closes, whatever closed it; so the count cannot drift from
 * the connections that really exist.
 *
 * <p>Thread-safe: sockets are accepted by one acceptor thread (the check and the registration that
 * follows it are not interleaved with another accept), and closes on any thread only lower a count.
 */
final class AddressCappedEndpoint extends NioEndpoint {

    private static final Logger LOG = Logger.getLogger(AddressCappedEndpoint.class.getName());

    private final int perAddress;
    private final ConcurrentHashMap<InetAddress, Integer> openByAddress = new ConcurrentHashMap<>();
    private final AtomicInteger refused = new AtomicInteger();

    /** @param perAddress the most connections one address may hold; 0 for no cap */
    AddressCappedEndpoint(int perAddress) {
        this.perAddress = perAddress;
        if (perAddress > 0) {
            connections = new CountingConnections();
        }
    }

    @Override
    protected boolean setSocketOptions(SocketChannel socket) {
        if (perAddress > 0) {
            InetAddress address = remoteAddress(socket);
            Integer open = address == null ? null : openByAddress.get(address);
            if (open != null && open >= perAddress) {
                // The acceptor closes a refused socket only if it was registered; this one never was, so it
                // is closed (and counted out of maxConnections) here, as NioEndpoint does with sockets it fails.
                destroySocket(socket);
                if (refused.getAndIncrement() % 1000 == 0) {
                    LOG.warning(() -> "refusing connections from a client address over its cap of " + perAddress
                            + " open connections (" + refused.get() + " refused so far)");
                }
                return false;
            }
        }
        return super.setSocketOptions(socket);
    }

    /** Open connections from {@code address}, for tests and diagnostics. */
    int openFrom(InetAddress address) {
        return openByAddress.getOrDefault(address, 0);
    }

    private static InetAddress remoteAddress(SocketChannel socket) {
        try {
            return socket.getRemoteAddress() instanceof InetSocketAddress inet ? inet.getAddress() : null;
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * The endpoint's connection table, counting by address as entries come and go. The address is
     * remembered with each entry: a closed channel no longer tells its peer.
     */
    private final class CountingConnections extends ConcurrentHashMap<SocketChannel, SocketWrapperBase<NioChannel>> {

        private static final long serialVersionUID = 1L;

        private final transient ConcurrentHashMap<SocketChannel, InetAddress> addresses = new ConcurrentHashMap<>();

        @Override
        public SocketWrapperBase<NioChannel> put(SocketChannel channel, SocketWrapperBase<NioChannel> wrapper) {
            SocketWrapperBase<NioChannel> previous = super.put(channel, wrapper);
            InetAddress address = remoteAddress(channel);
            if (previous == null && address != null && addresses.putIfAbsent(channel, address) == null) {
                openByAddress.merge(address, 1, Integer::sum);
            }
            return previous;
        }

        @Override
        public SocketWrapperBase<NioChannel> remove(Object channel) {
            SocketWrapperBase<NioChannel> removed = super.remove(channel);
            InetAddress address = addresses.remove(channel);
            if (address != null) {
                // Drop the entry at zero so a scan of many addresses leaves nothing behind.
                openByAddress.computeIfPresent(address, (a, open) -> open <= 1 ? null : open - 1);
            }
            return removed;
        }
    }
}
