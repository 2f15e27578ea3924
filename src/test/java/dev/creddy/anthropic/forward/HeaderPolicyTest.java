package dev.creddy.anthropic.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.creddy.anthropic.config.Secret;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.message.BasicHeader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HeaderPolicyTest {

    private final HeaderPolicy policy = new HeaderPolicy();
    private final Secret realKey = Secret.of("sk-ant-real");

    private static String names(List<Header> headers) {
        return headers.stream().map(h -> h.getName().toLowerCase(Locale.ROOT)).collect(Collectors.joining(","));
    }

    private static String value(List<Header> headers, String name) {
        return headers.stream().filter(h -> h.getName().equalsIgnoreCase(name)).map(Header::getValue)
                .collect(Collectors.joining("|"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Transfer-Encoding", "Upgrade",
            "Host", "X-Api-Key", "Authorization", "Proxy-Authorization", "Proxy-Anything", "Content-Length", "Expect"})
    void dropsHopByHopCredentialsAndRouting(String name) {
        List<Header> upstream = policy.forUpstream(List.of(new BasicHeader(name, "crd_client"), new BasicHeader("Accept", "*/*")),
                realKey);
        assertEquals("accept,x-api-key,anthropic-version", names(upstream));
        assertEquals("sk-ant-real", value(upstream, "x-api-key"));
    }

    @Test
    void dropsHeadersNamedInConnection() {
        List<Header> upstream = policy.forUpstream(List.of(
                new BasicHeader("Connection", "keep-alive, X-Secret-Hop ,x-other"),
                new BasicHeader("X-Secret-Hop", "1"),
                new BasicHeader("X-Other", "2"),
                new BasicHeader("X-Kept", "3")), realKey);
        assertEquals("x-kept,x-api-key,anthropic-version", names(upstream));
    }

    @Test
    void keepsTheClientsVersionAndBetasUnchanged() {
        List<Header> upstream = policy.forUpstream(List.of(
                new BasicHeader("anthropic-version", "2026-10-21"),
                new BasicHeader("anthropic-beta", "files-api-2025-04-14,token-counting-2024-11-01"),
                new BasicHeader("x-stainless-lang", "java")), realKey);
        assertEquals("2026-10-21", value(upstream, "anthropic-version"));
        assertEquals("files-api-2025-04-14,token-counting-2024-11-01", value(upstream, "anthropic-beta"));
        assertEquals("java", value(upstream, "x-stainless-lang"));
    }

    @Test
    void addsTheDefaultVersionOnlyWhenMissing() {
        List<Header> upstream = policy.forUpstream(List.of(), realKey);
        assertEquals(HeaderPolicy.DEFAULT_ANTHROPIC_VERSION, value(upstream, "anthropic-version"));
    }

    @Test
    void theRealKeyIsMarkedSensitive() {
        Header key = policy.forUpstream(List.of(), realKey).stream().filter(h -> h.getName().equals("x-api-key"))
                .findFirst().orElseThrow();
        assertTrue(key.isSensitive());
    }

    @Test
    void responsesLoseOnlyHopByHopAndFraming() {
        List<Header> client = policy.forClient(new Header[] {
                new BasicHeader("Content-Type", "text/event-stream; charset=utf-8"),
                new BasicHeader("Transfer-Encoding", "chunked"),
                new BasicHeader("Connection", "close, X-Hop"),
                new BasicHeader("X-Hop", "1"),
                new BasicHeader("Content-Length", "12"),
                new BasicHeader("Content-Encoding", "gzip"),
                new BasicHeader("request-id", "req_1"),
                new BasicHeader("anthropic-ratelimit-requests-remaining", "99"),
                new BasicHeader("retry-after", "3")});
        assertEquals("content-type,content-encoding,request-id,anthropic-ratelimit-requests-remaining,retry-after",
                names(client));
        assertFalse(names(client).contains("x-hop"));
    }
}
