package dev.creddy.anthropic.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AcceptEncodingTest {

    @ParameterizedTest(name = "[{0}] -> [{1}]")
    @CsvSource(delimiter = '|', nullValues = "NULL", textBlock = """
        # no header allows every coding (RFC 9110 §12.5.3): ask for what we can read
        NULL                                    | identity
        ''                                      | identity
        gzip                                    | gzip
        'gzip, deflate, br'                     | gzip, deflate
        'gzip, deflate, br, zstd'               | gzip, deflate
        br                                      | identity
        'br;q=1.0, zstd;q=0.9'                  | identity
        'GZIP;q=0.8, Deflate;q=0.5'             | gzip;q=0.8, deflate;q=0.5
        'x-gzip'                                | x-gzip
        'identity'                              | identity
        'gzip;q=0'                              | gzip;q=0
        '*'                                     | gzip, deflate, identity
        'br, *;q=0.1'                           | gzip;q=0.1, deflate;q=0.1, identity;q=0.1
        'gzip;q=1.0, *;q=0.5'                   | gzip;q=1.0, deflate;q=0.5, identity;q=0.5
        'x-gzip, *'                             | x-gzip, deflate, identity
        'identity;q=0, *'                       | identity;q=0, gzip, deflate
        ' , gzip ,, br , '                      | gzip
        'compress, gzip'                        | gzip
        """)
    void keepsOnlyTheCodingsAMeterCanRead(String client, String upstream) {
        assertEquals(upstream, AcceptEncoding.meterable(client));
    }
}
