package dev.creddy.anthropic.standalone;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class LaunchOptionsTest {

    /** A command line as a shell would split it (none of the cases needs quoting). */
    private static String[] args(String line) {
        return line.isBlank() ? new String[0] : line.trim().split("\\s+");
    }

    static Stream<Arguments> acceptedCommandLines() {
        return Stream.of(
                Arguments.of("", new ListenAddress("127.0.0.1", 8080), "", Map.of()),
                Arguments.of("--proxy --addr :8080 --api-key k", new ListenAddress(null, 8080), "",
                        Map.of("anthropic-api-key", "k")),
                Arguments.of("--addr=127.0.0.1:0", new ListenAddress("127.0.0.1", 0), "", Map.of()),
                Arguments.of("-proxy -addr 127.0.0.1:9 -api-key=x", new ListenAddress("127.0.0.1", 9), "",
                        Map.of("anthropic-api-key", "x")),
                Arguments.of("-addr=:7000", new ListenAddress(null, 7000), "", Map.of()),
                Arguments.of("--addr [::1]:9000", new ListenAddress("::1", 9000), "", Map.of()),
                Arguments.of("--addr localhost:0", new ListenAddress("localhost", 0), "", Map.of()),
                Arguments.of("--open-issuance", new ListenAddress("127.0.0.1", 8080), "", Map.of("open-issuance", "true")),
                Arguments.of("--open-issuance=false", new ListenAddress("127.0.0.1", 8080), "", Map.of("open-issuance", "false")),
                Arguments.of("--upstream http://127.0.0.1:9/base", new ListenAddress("127.0.0.1", 8080), "",
                        Map.of("upstream-url", "http://127.0.0.1:9/base")),
                Arguments.of("--issuer-key=ik-1", new ListenAddress("127.0.0.1", 8080), "", Map.of("issuer-key", "ik-1")),
                Arguments.of("--max-ttl 8h --default-ttl=30m", new ListenAddress("127.0.0.1", 8080), "",
                        Map.of("max-ttl", "8h", "default-ttl", "30m")),
                Arguments.of("--header-timeout 30s -idle-timeout 1m --max-connections=16", new ListenAddress("127.0.0.1", 8080), "",
                        Map.of("upstream-header-timeout", "30s", "upstream-idle-timeout", "1m", "upstream-max-connections", "16")),
                Arguments.of("--token-store redis --redis-url=redis://127.0.0.1:6379/2", new ListenAddress("127.0.0.1", 8080), "",
                        Map.of("token-store", "redis", "redis-url", "redis://127.0.0.1:6379/2")),
                Arguments.of("--public-url https://gw.example.com/creddy --trust-forwarded-headers --max-upload-body=1GB",
                        new ListenAddress("127.0.0.1", 8080), "", Map.of("public-url", "https://gw.example.com/creddy",
                                "trust-forwarded-headers", "true", "max-upload-body", "1GB")),
                Arguments.of("--console off --console-session-ttl=1h", new ListenAddress("127.0.0.1", 8080), "",
                        Map.of("console", "off", "console-session-ttl", "1h")),
                Arguments.of("--context-path /creddy", new ListenAddress("127.0.0.1", 8080), "/creddy", Map.of()),
                Arguments.of("--context-path=/a/b", new ListenAddress("127.0.0.1", 8080), "/a/b", Map.of()),
                Arguments.of("--context-path /", new ListenAddress("127.0.0.1", 8080), "", Map.of()),
                // Keys may end in base64 padding: only the first '=' separates flag and value.
                Arguments.of("--api-key=abc== --issuer-key x=y", new ListenAddress("127.0.0.1", 8080), "",
                        Map.of("anthropic-api-key", "abc==", "issuer-key", "x=y")),
                // As with Go's flag package, a repeated flag's last value wins.
                Arguments.of("--api-key first --api-key second", new ListenAddress("127.0.0.1", 8080), "",
                        Map.of("anthropic-api-key", "second")),
                Arguments.of("--proxy --addr 127.0.0.1:0 --api-key sk-ant-k --upstream http://127.0.0.1:1 --issuer-key ik "
                                + "--max-ttl 2h --context-path /creddy --open-issuance",
                        new ListenAddress("127.0.0.1", 0), "/creddy", Map.of("anthropic-api-key", "sk-ant-k",
                                "upstream-url", "http://127.0.0.1:1", "issuer-key", "ik", "max-ttl", "2h", "open-issuance", "true")));
    }

    @ParameterizedTest(name = "[{0}]")
    @MethodSource("acceptedCommandLines")
    void parsesTheOriginalToolsFlags(String line, ListenAddress address, String contextPath, Map<String, String> settings) {
        LaunchOptions options = LaunchOptions.parse(args(line));
        assertEquals(address, options.address());
        assertEquals(contextPath, options.contextPath());
        assertEquals(settings, options.settings());
        assertFalse(options.help());
    }

    @ParameterizedTest
    @ValueSource(strings = {"--help", "-h", "-help", "--h", "--proxy --help", "--api-key k --help"})
    void asksForHelp(String line) {
        assertTrue(LaunchOptions.parse(args(line)).help());
    }

    @Test
    void theUsageNamesEveryFlag() {
        String usage = LaunchOptions.usage();
        for (String flag : new String[] {"--proxy", "--addr", "--api-key", "--upstream", "--issuer-key", "--open-issuance",
                "--max-ttl", "--default-ttl", "--header-timeout", "--idle-timeout", "--max-connections", "--token-store",
                "--redis-url", "--context-path", "--max-upload-body", "--public-url",
                "--console",
                "--help"}) {
            assertTrue(usage.contains(flag + " "), flag);
        }
        assertTrue(usage.contains("--trust-forwarded-headers\n"), "--trust-forwarded-headers");
        assertTrue(usage.contains("--console-session-ttl DURATION"), "--console-session-ttl");
    }

    @ParameterizedTest(name = "[{0}]")
    @CsvSource(delimiter = '|', value = {
            "--bogus|unknown flag --bogus",
            "-x|unknown flag --x",
            "--proxy --addr :1 --apikey k|unknown flag --apikey",
            "--api-key|flag --api-key needs a value",
            "--proxy --issuer-key|flag --issuer-key needs a value",
            "-upstream|flag --upstream needs a value",
            "--addr|flag --addr needs a value",
            "--context-path|flag --context-path needs a value",
            "--addr :abc|--addr \":abc\": the port must be a number from 0 to 65535",
            "--addr :70000|--addr \":70000\": the port must be a number from 0 to 65535",
            "--addr=:-1|--addr \":-1\": the port must be a number from 0 to 65535",
            "--addr 127.0.0.1:80x|the port must be a number",
            "--addr [::1]|needs a port after the bracketed address",
            "--addr 8080|--addr \"8080\" needs a port",
            "--addr nope|--addr \"nope\" needs a port",
            "--addr ::1|put an IPv6 address in brackets",
            "--addr fe80::1:8080|put an IPv6 address in brackets",
            "--apikey=sk-ant-api03-SECRET|unknown flag --apikey",
            "--proxy=x|flag --proxy takes no value",
            "--proxy=|flag --proxy takes no value",
            "--context-path creddy|--context-path must start with / and not end with one",
            "--context-path /creddy/|--context-path must start with / and not end with one",
            "--context-path=//|--context-path must start with / and not end with one",
            "proxy|unexpected argument at position 1",
            "--proxy stray|unexpected argument at position 2",
            "--proxy --api-key k extra|unexpected argument at position 4",
            "--open-issuance true|unexpected argument at position 2",
            "--|unexpected argument at position 1",
            "-|unexpected argument at position 1",
    })
    void refusesWithAMessageThatSaysWhatIsWrong(String line, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LaunchOptions.parse(args(line)));
        assertTrue(e.getMessage().contains(message), e.getMessage());
        assertFalse(e.getMessage().contains("SECRET"), "a refused value may be a key: " + e.getMessage());
    }

    @ParameterizedTest(name = "[{0}]")
    @ValueSource(strings = {
            "--api-key sk-ant-api03-SECRET --issuer-key ISSUER-SECRET",
            "--api-key=sk-ant-api03-SECRET -issuer-key=ISSUER-SECRET --addr :0 --context-path /creddy",
            "-api-key sk-ant-api03-SECRET --upstream http://127.0.0.1:1 --issuer-key ISSUER-SECRET --open-issuance",
    })
    void toStringNamesSettingsButNeverShowsTheirValues(String line) {
        LaunchOptions options = LaunchOptions.parse(args(line));
        String printed = options.toString();
        assertFalse(printed.contains("SECRET"), printed);
        assertTrue(printed.contains("anthropic-api-key"), printed);
        assertTrue(printed.contains("issuer-key"), printed);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', nullValues = "null", value = {
            ":8080|null|8080|localhost",
            "127.0.0.1:0|127.0.0.1|0|127.0.0.1",
            "0.0.0.0:65535|0.0.0.0|65535|0.0.0.0",
            "localhost:0|localhost|0|localhost",
            "[::1]:9000|::1|9000|[::1]",
            "[::]:80|::|80|[::]",
            "example.internal:443|example.internal|443|example.internal",
    })
    void parsesGoListenAddresses(String text, String host, int port, String urlHost) {
        ListenAddress address = ListenAddress.parse(text);
        assertEquals(host, address.host());
        assertEquals(port, address.port());
        assertEquals(urlHost, address.urlHost());
    }

    @ParameterizedTest(name = "[{0}]")
    @CsvSource(delimiter = '|', value = {
            ":abc|the port must be a number from 0 to 65535",
            ":70000|the port must be a number from 0 to 65535",
            ":65536|the port must be a number from 0 to 65535",
            ":-1|the port must be a number from 0 to 65535",
            ":99999999999|the port must be a number from 0 to 65535",
            "127.0.0.1:8080/x|the port must be a number from 0 to 65535",
            "8080|needs a port",
            "localhost|needs a port",
            "''|needs a port",
    })
    void refusesBadListenAddresses(String text, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ListenAddress.parse(text));
        assertTrue(e.getMessage().contains(message), e.getMessage());
        assertTrue(e.getMessage().startsWith("--addr \"" + text + "\""), "the message quotes the flag and its value");
    }
}
