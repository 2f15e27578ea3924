package dev.creddy.anthropic.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PublicUrlTest {

    /** Headers as {@code name: value; name: value}, looked up by lowercase name. */
    private static Map<String, String> headers(String text) {
        Map<String, String> headers = new LinkedHashMap<>();
        if (text != null) {
            for (String pair : text.split(" \\| ")) {
                int colon = pair.indexOf(':');
                headers.put(pair.substring(0, colon).strip().toLowerCase(Locale.ROOT), pair.substring(colon + 1).strip());
            }
        }
        return headers;
    }

    @ParameterizedTest(name = "[{index}] trusted={0} {3}")
    @CsvSource(delimiter = '~', nullValues = "-", value = {
            // Not trusted: the request's own scheme, Host and context path; forwarding headers are ignored.
            "false ~ http ~ /creddy ~ host: 127.0.0.1:8080 ~ http://127.0.0.1:8080/creddy",
            "false ~ http ~ '' ~ host: proxy.internal ~ http://proxy.internal",
            "false ~ https ~ '' ~ host: gw.example.com:443 ~ https://gw.example.com",
            "false ~ http ~ '' ~ host: 127.0.0.1:8080 | x-forwarded-host: evil.example | x-forwarded-proto: https ~ http://127.0.0.1:8080",
            "false ~ http ~ '' ~ host: 127.0.0.1:8080 | forwarded: proto=https;host=evil.example ~ http://127.0.0.1:8080",
            "false ~ http ~ '' ~ - ~ http://internal:8080",
            "false ~ http ~ '' ~ host: [::1]:8080 ~ http://[::1]:8080",
            // Trusted: RFC 7239 first, then X-Forwarded-*.
            "true ~ http ~ '' ~ host: 10.0.0.5:8080 | forwarded: for=192.0.2.60;proto=https;host=gw.example.com ~ https://gw.example.com",
            "true ~ http ~ '' ~ host: 10.0.0.5:8080 | forwarded: proto=https;host=\"gw.example.com:8443\", proto=http;host=inner ~ https://gw.example.com:8443",
            "true ~ http ~ '' ~ host: 10.0.0.5:8080 | forwarded: Proto=HTTPS; Host=GW.example.com ~ https://gw.example.com",
            "true ~ http ~ '' ~ host: 10.0.0.5:8080 | forwarded: host=gw.example.com | x-forwarded-proto: https ~ https://gw.example.com",
            "true ~ http ~ /creddy ~ host: gw.example.com | x-forwarded-proto: https ~ https://gw.example.com/creddy",
            "true ~ http ~ /creddy ~ host: 10.0.0.5:8080 | x-forwarded-proto: https | x-forwarded-host: gw.example.com ~ https://gw.example.com/creddy",
            "true ~ http ~ /creddy ~ host: 10.0.0.5:8080 | x-forwarded-proto: https, http | x-forwarded-host: gw.example.com, inner ~ https://gw.example.com/creddy",
            "true ~ http ~ /creddy ~ host: 10.0.0.5:8080 | x-forwarded-host: gw.example.com | x-forwarded-port: 8443 ~ http://gw.example.com:8443/creddy",
            "true ~ http ~ /creddy ~ host: 10.0.0.5:8080 | x-forwarded-proto: https | x-forwarded-host: gw.example.com | x-forwarded-prefix: /llm/ ~ https://gw.example.com/llm",
            "true ~ http ~ /creddy ~ host: 10.0.0.5:8080 | x-forwarded-prefix: / ~ http://10.0.0.5:8080",
            // Trusted, but values that are not a plain scheme, host, port or path are ignored.
            "true ~ http ~ '' ~ host: 10.0.0.5:8080 | x-forwarded-proto: javascript ~ http://10.0.0.5:8080",
            "true ~ http ~ '' ~ host: 10.0.0.5:8080 | x-forwarded-host: evil.example/path?x=\" ~ http://10.0.0.5:8080",
            "true ~ http ~ '' ~ host: 10.0.0.5:8080 | x-forwarded-host: gw.example.com:99999 ~ http://10.0.0.5:8080",
            "true ~ http ~ '' ~ host: 10.0.0.5:8080 | x-forwarded-port: 0 ~ http://10.0.0.5:8080",
            "true ~ http ~ '' ~ host: 10.0.0.5:8080 | x-forwarded-prefix: /a b ~ http://10.0.0.5:8080",
            "true ~ http ~ '' ~ host: 10.0.0.5:8080 | x-forwarded-prefix: no-slash ~ http://10.0.0.5:8080",
            "true ~ http ~ '' ~ host: 10.0.0.5:8080 | forwarded: for=x ~ http://10.0.0.5:8080",
    })
    void thePublicUrlOfARequest(boolean trusted, String scheme, String contextPath, String headerText, String expected) {
        Map<String, String> headers = headers(headerText);
        PublicUrl publicUrl = new PublicUrl(Optional.empty(), trusted);
        assertEquals(expected, publicUrl.resolve(scheme, "internal", 8080, contextPath, headers::get));
    }

    @ParameterizedTest(name = "trusted={0}")
    @CsvSource({"true", "false"})
    void theConfiguredUrlWins(boolean trusted) {
        Map<String, String> headers = headers("host: 10.0.0.5:8080 | x-forwarded-host: other.example | x-forwarded-proto: http");
        PublicUrl publicUrl = new PublicUrl(Optional.of(URI.create("https://gw.example.com/creddy")), trusted);
        assertEquals("https://gw.example.com/creddy", publicUrl.resolve("http", "internal", 8080, "/ctx", headers::get));
    }
}
