package dev.creddy.anthropic.it.servers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * What the servers under test may and do listen on: free loopback ports for them, the sockets a
 * process tree actually listens on (read from {@code /proc}, so it is the kernel's word, not the
 * server's configuration), and whether this JVM runs in a private network namespace. Stateless.
 */
final class LoopbackNetwork {

    private LoopbackNetwork() {
    }

    /** A loopback port nobody listens on right now. */
    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An offset that moves each of {@code basePorts} to a free loopback port (WildFly's port offset). */
    static int freeOffset(int... basePorts) {
        for (int attempt = 0; attempt < 50; attempt++) {
            int offset = 10_000 + (int) (Math.random() * 40_000);
            if (allFree(offset, basePorts)) {
                return offset;
            }
        }
        throw new IllegalStateException("no free port offset for " + Arrays.toString(basePorts));
    }

    private static boolean allFree(int offset, int[] basePorts) {
        return Arrays.stream(basePorts).allMatch(port -> port + offset <= 65_535 && isFree(port + offset));
    }

    private static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return socket.isBound();
        } catch (IOException e) {
            return false;
        }
    }

    /** The TCP addresses that {@code root} or any process it started listens on. */
    static List<InetSocketAddress> listeningSockets(ProcessHandle root) {
        Set<String> inodes = new HashSet<>();
        Stream.concat(Stream.of(root), root.descendants()).forEach(process -> inodes.addAll(socketInodes(process.pid())));
        Map<String, InetSocketAddress> listening = new HashMap<>();
        listening.putAll(listeningByInode(Path.of("/proc/net/tcp")));
        listening.putAll(listeningByInode(Path.of("/proc/net/tcp6")));
        List<InetSocketAddress> sockets = new ArrayList<>();
        listening.forEach((inode, address) -> {
            if (inodes.contains(inode)) {
                sockets.add(address);
            }
        });
        return sockets;
    }

    /** Whether every network interface this JVM can see is a loopback (a private network namespace). */
    static boolean onlyLoopbackInterfaces() {
        try {
            return NetworkInterface.networkInterfaces().allMatch(LoopbackNetwork::isLoopback);
        } catch (SocketException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean isLoopback(NetworkInterface network) {
        try {
            return network.isLoopback();
        } catch (SocketException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Set<String> socketInodes(long pid) {
        Set<String> inodes = new HashSet<>();
        try (Stream<Path> descriptors = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            descriptors.forEach(descriptor -> {
                try {
                    String target = Files.readSymbolicLink(descriptor).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring("socket:[".length(), target.length() - 1));
                    }
                } catch (IOException e) {
                    // The descriptor closed while we looked: not a listener then.
                }
            });
        } catch (IOException e) {
            // The process has ended meanwhile: it listens on nothing.
        }
        return inodes;
    }

    /** Listening sockets in a /proc/net/tcp{,6} table, by inode. */
    private static Map<String, InetSocketAddress> listeningByInode(Path table) {
        Map<String, InetSocketAddress> listening = new HashMap<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(table);
        } catch (IOException e) {
            return listening; // no IPv6 on this kernel
        }
        for (String line : lines.subList(1, lines.size())) {
            String[] fields = line.trim().split("\\s+");
            // sl local_address rem_address st ... inode: state 0A is LISTEN.
            if (fields.length > 9 && fields[3].equals("0A")) {
                listening.put(fields[9], address(fields[1]));
            }
        }
        return listening;
    }

    /** "0100007F:1F90" (IPv4) or 32 hex digits and a port (IPv6): each 32-bit word in host (little-endian) order. */
    private static InetSocketAddress address(String hexAddressAndPort) {
        String[] parts = hexAddressAndPort.split(":");
        String hex = parts[0];
        byte[] bytes = new byte[hex.length() / 2];
        for (int word = 0; word < bytes.length / 4; word++) {
            for (int i = 0; i < 4; i++) {
                int at = word * 8 + (3 - i) * 2;
                bytes[word * 4 + i] = (byte) Integer.parseInt(hex.substring(at, at + 2), 16);
            }
        }
        try {
            return new InetSocketAddress(InetAddress.getByAddress(bytes), Integer.parseInt(parts[1], 16));
        } catch (UnknownHostException e) {
            throw new IllegalStateException("not an address: " + hexAddressAndPort, e);
        }
    }
}
