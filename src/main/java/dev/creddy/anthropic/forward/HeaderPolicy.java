package dev.creddy.anthropic.forward;

import dev.creddy.anthropic.config.Secret;
import dev.creddy.anthropic.usage.AcceptEncoding;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.message.BasicHeader;

/**
 * Which headers cross the proxy, in each direction.
 *
 * <p>Hop-by-hop headers and every header named in {@code Connection} (RFC 9110 §7.6.1) stop here in
 * both directions. Towards the upstream, the client's credentials ({@code x-api-key},
 * {@code Authorization}), {@code Host} and {@code Proxy-*} are dropped and the real key added;
 * {@code anthropic-version} and {@code anthropic-beta} pass unchanged, and a default version is
 * added only when the client sent none. Framing ({@code Content-Length}) is set by the HTTP client
 * from the body it streams.
 *
 * <p>Immutable and thread-safe.
 */
public final class HeaderPolicy {

    /** The version Anthropic requires when a client sends none. */
    public static final String DEFAULT_ANTHROPIC_VERSION = "2023-06-01";

    private static final Set<String> HOP_BY_HOP = Set.of(
            "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
            "te", "trailer", "transfer-encoding", "upgrade");

    /** Our own strips towards the upstream: routing, framing and the client's credentials. */
    private static final Set<String> CLIENT_ONLY = Set.of(
            "host", "content-length", "expect", "x-api-key", "authorization");

    /** Headers of ours that a response must not carry twice. */
    private static final Set<String> RESPONSE_FRAMING = Set.of("content-length");

    /**
     * The upstream request's headers.
     *
     * @param clientHeaders the client's headers, in order, names in any case
     * @param apiKey the real key
     */
    public List<Header> forUpstream(List<Header> clientHeaders, Secret apiKey) {
        return forUpstream(clientHeaders, apiKey, Encodings.AS_SENT);
    }

    /** Which response codings the upstream may use. */
    public enum Encodings {
        /** Whatever the client accepts: the proxy does not read the body. */
        AS_SENT,
        /** Only codings the usage meters can read, narrowed from everything the client accepts. */
        METERABLE,
        /** None: the proxy rewrites the body (batch metadata). */
        IDENTITY
    }

    /**
     * The upstream request's headers, with the {@code Accept-Encoding} the proxy needs. When the proxy
     * reads the response, every {@code Accept-Encoding} line the client sent is removed and one is set,
     * built from all of them (RFC 9110 §5.3: several lines are one list), so a second line cannot
     * bring back a coding the meters cannot read.
     */
    public List<Header> forUpstream(List<Header> clientHeaders, Secret apiKey, Encodings encodings) {
        Set<String> dropped = connectionNamed(clientHeaders);
        List<Header> upstream = new ArrayList<>(clientHeaders.size() + 3);
        List<String> acceptEncodings = encodings == Encodings.METERABLE ? new ArrayList<>(2) : null;
        boolean hasVersion = false;
        for (Header header : clientHeaders) {
            String name = header.getName().toLowerCase(Locale.ROOT);
            if (HOP_BY_HOP.contains(name) || CLIENT_ONLY.contains(name) || name.startsWith("proxy-")
                    || dropped.contains(name)) {
                continue;
            }
            if (encodings != Encodings.AS_SENT && name.equals("accept-encoding")) {
                if (acceptEncodings != null) {
                    acceptEncodings.add(header.getValue());
                }
                continue;
            }
            hasVersion |= name.equals("anthropic-version");
            upstream.add(header);
        }
        if (encodings == Encodings.METERABLE) {
            upstream.add(new BasicHeader("Accept-Encoding", AcceptEncoding.meterable(acceptEncodings)));
        } else if (encodings == Encodings.IDENTITY) {
            // Identity is acceptable to every client (RFC 9110 §12.5.3).
            upstream.add(new BasicHeader("Accept-Encoding", "identity"));
        }
        upstream.add(new BasicHeader("x-api-key", apiKey.reveal(), true));
        if (!hasVersion) {
            upstream.add(new BasicHeader("anthropic-version", DEFAULT_ANTHROPIC_VERSION));
        }
        return upstream;
    }

    /**
     * The headers the client gets from an upstream response: all but the hop-by-hop ones.
     * {@code Content-Length} is reported separately so the container frames the body itself.
     */
    public List<Header> forClient(Header[] upstreamHeaders) {
        List<Header> all = List.of(upstreamHeaders);
        Set<String> dropped = connectionNamed(all);
        List<Header> client = new ArrayList<>(upstreamHeaders.length);
        for (Header header : upstreamHeaders) {
            String name = header.getName().toLowerCase(Locale.ROOT);
            if (HOP_BY_HOP.contains(name) || RESPONSE_FRAMING.contains(name) || name.startsWith("proxy-")
                    || dropped.contains(name)) {
                continue;
            }
            client.add(header);
        }
        return client;
    }

    private static Set<String> connectionNamed(List<Header> headers) {
        Set<String> named = new HashSet<>();
        for (Header header : headers) {
            if (header.getName().equalsIgnoreCase("connection") || header.getName().equalsIgnoreCase("proxy-connection")) {
                for (String token : header.getValue().split(",")) {
                    String name = token.strip().toLowerCase(Locale.ROOT);
                    if (!name.isEmpty()) {
                        named.add(name);
                    }
                }
            }
        }
        return named;
    }
}
