package dev.creddy.anthropic.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The request-target of the next upstream page of a filtered listing. */
class ListingPagesTest {

    @ParameterizedTest(name = "{0} {1}={2}")
    @CsvSource(delimiter = '|', textBlock = """
        /v1/messages/batches                                | after_id  | msgbatch_1 | /v1/messages/batches?limit=1000&after_id=msgbatch_1
        /v1/files?beta=true&limit=2&after_id=file_a         | after_id  | file_b     | /v1/files?beta=true&limit=1000&after_id=file_b
        /v1/files?before_id=file_a&limit=5&beta=true        | before_id | file_0     | /v1/files?beta=true&limit=1000&before_id=file_0
        /v1/files?limit=5&page=abc&beta=true                | page      | n+x/y=     | /v1/files?limit=5&beta=true&page=n%2Bx%2Fy%3D
        """)
    void movesTheCursorAndKeepsTheRest(String listing, String cursorName, String cursor, String expected) {
        assertEquals(expected, ListingPages.target(listing, cursorName, cursor));
    }
}
