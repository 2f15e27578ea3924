package dev.creddy.anthropic.identity;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Optional;

/**
 * A block of client addresses an identity token binds its holder to ({@code ip_restriction}): a CIDR
 * block such as {@code 10.0.0.0/8} or {@code 2001:db8::/32}, or a single address. Only literals are
 * accepted; nothing is ever looked up in DNS. An IPv4 block never matches an IPv6 client nor the
 * other way round, except that an IPv4-mapped IPv6 client ({@code ::ffff:10.1.2.3}) is the IPv4 address
 * it maps. Immutable.
 */
public final class IpRange {

    private final byte[] network;
    private final int prefix;
    private final String text;

    private IpRange(byte[] network, int prefix, String text) {
        this.network = network;
        this.prefix = prefix;
        this.text = text;
    }

    /**
     * Parses an address or CIDR block.
     *
     * @throws IllegalArgumentException when {@code text} is neither, or the block has bits set past its prefix
     */
    public static IpRange parse(String text) {
        String trimmed = text.strip();
        int slash = trimmed.indexOf('/');
        String address = slash < 0 ? trimmed : trimmed.substring(0, slash);
        byte[] bytes = literal(address).orElseThrow(() -> new IllegalArgumentException(
                "not an IP address or CIDR block such as 10.0.0.0/8"));
        int bits = bytes.length * 8;
        int prefix = bits;
        if (slash >= 0) {
            String length = trimmed.substring(slash + 1);
            if (!length.matches("\\d{1,3}") || Integer.parseInt(length) > bits) {
                throw new IllegalArgumentException("the prefix length must be a number from 0 to " + bits);
            }
            prefix = Integer.parseInt(length);
        }
        // 10.1.2.3/8 is more often a typo than a wish for 10.0.0.0/8: refuse rather than guess.
        if (!new BigInteger(1, bytes).equals(new BigInteger(1, mask(bytes, prefix)))) {
            throw new IllegalArgumentException("the address has bits set past the /" + prefix + " prefix");
        }
        return new IpRange(bytes, prefix, trimmed);
    }

    /** Whether the client at {@code address} (an IP literal, as the container reports it) is inside the block. */
    public boolean contains(String address) {
        Optional<byte[]> client = literal(address);
        if (client.isEmpty()) {
            return false;
        }
        byte[] bytes = unmapped(client.get());
        return bytes.length == network.length && Arrays.equals(mask(bytes, prefix), network);
    }

    /** The block as the identity token gave it. */
    @Override
    public String toString() {
        return text;
    }

    private static byte[] mask(byte[] address, int prefix) {
        byte[] masked = address.clone();
        for (int i = 0; i < masked.length; i++) {
            int keep = Math.max(0, Math.min(8, prefix - i * 8));
            masked[i] &= (byte) (0xFF << (8 - keep));
        }
        return masked;
    }

    private static byte[] unmapped(byte[] address) {
        if (address.length == 16) {
            boolean mapped = true;
            for (int i = 0; i < 10; i++) {
                mapped &= address[i] == 0;
            }
            if (mapped && address[10] == (byte) 0xFF && address[11] == (byte) 0xFF) {
                return Arrays.copyOfRange(address, 12, 16);
            }
        }
        return address;
    }

    /** The bytes of an IPv4 or IPv6 literal (a zone id is dropped), or empty; never a DNS query. */
    private static Optional<byte[]> literal(String text) {
        String bare = text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
        int zone = bare.indexOf('%');
        if (zone >= 0) {
            bare = bare.substring(0, zone);
        }
        if (bare.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
            byte[] bytes = new byte[4];
            String[] parts = bare.split("\\.");
            for (int i = 0; i < 4; i++) {
                int part = Integer.parseInt(parts[i]);
                if (part > 255 || (parts[i].length() > 1 && parts[i].startsWith("0"))) {
                    // Leading zeros read as octal in some parsers: ambiguous, so refused.
                    return Optional.empty();
                }
                bytes[i] = (byte) part;
            }
            return Optional.of(bytes);
        }
        if (bare.contains(":") && bare.matches("[0-9A-Fa-f:.]{2,45}")) {
            try {
                // Only a literal gets here, which getByName parses without asking DNS.
                byte[] bytes = InetAddress.getByName(bare).getAddress();
                // An IPv4-mapped literal comes back as 4 bytes; keep it 16 so that blocks stay per family.
                return Optional.of(bytes.length == 16 ? bytes : mapped(bytes));
            } catch (UnknownHostException e) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    private static byte[] mapped(byte[] ipv4) {
        byte[] bytes = new byte[16];
        bytes[10] = (byte) 0xFF;
        bytes[11] = (byte) 0xFF;
        System.arraycopy(ipv4, 0, bytes, 12, 4);
        return bytes;
    }
}
