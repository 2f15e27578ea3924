package dev.creddy.anthropic.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IpRangeTest {

    @ParameterizedTest(name = "{0} contains {1}: {2}")
    @CsvSource({
            "10.0.0.0/8,        10.1.2.3,            true",
            "10.0.0.0/8,        11.0.0.1,            false",
            "10.0.0.0/8,        127.0.0.1,           false",
            "127.0.0.0/8,       127.0.0.1,           true",
            "192.168.1.0/24,    192.168.1.255,       true",
            "192.168.1.0/24,    192.168.2.0,         false",
            "192.168.1.128/25,  192.168.1.127,       false",
            "192.168.1.128/25,  192.168.1.128,       true",
            "203.0.113.7,       203.0.113.7,         true",
            "203.0.113.7,       203.0.113.8,         false",
            "203.0.113.7/32,    203.0.113.7,         true",
            "0.0.0.0/0,         198.51.100.1,        true",
            "0.0.0.0/0,         ::1,                 false",
            "10.0.0.0/8,        ::ffff:10.9.9.9,     true",
            "10.0.0.0/8,        0:0:0:0:0:ffff:a09:909, true",
            "2001:db8::/32,     2001:db8:1::1,       true",
            "2001:db8::/32,     2001:db9::1,         false",
            "2001:db8::/32,     10.0.0.1,            false",
            "::1,               0:0:0:0:0:0:0:1,     true",
            "::1/128,           ::2,                 false",
            "fe80::/10,         fe80::1%eth0,        true",
            "::/0,              2001:db8::1,         true",
            "10.0.0.0/8,        not-an-address,      false",
            "10.0.0.0/8,        localhost,           false",
            "10.0.0.0/8,        '',                  false",
    })
    void matchesClientAddresses(String range, String client, boolean inside) {
        assertEquals(inside, IpRange.parse(range).contains(client));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/8/8", "10.0.0/8", "256.0.0.0/8",
            "010.0.0.0/8", "10.1.2.3/8", "example.com", "localhost", "2001:db8::/129", "2001:db8::1/32", "::g",
            "10.0.0.0 /8", "10.0.0.0/8,11.0.0.0/8", "*"})
    void refusesWhatIsNotOneBlock(String text) {
        assertThrows(IllegalArgumentException.class, () -> IpRange.parse(text));
    }
}
