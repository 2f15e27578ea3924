package dev.creddy.anthropic.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class QueryCredentialsTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(nullValues = "NULL", value = {
            "NULL, false",
            "'', false",
            "beta=true, false",
            "limit=20&after_id=msgbatch_01, false",
            "before_id=file_01&limit=1000, false",
            "api_key=x, true",
            "API_KEY=x, true",
            "x-api-key=abc, true",
            "key=abc, true",
            "token, true",
            "access_token=abc&beta=true, true",
            "beta=true&note=crd_abcdef, true",
            "beta=true&note=CRD_abcdef, true",
            "q=%63rd_abcdef, true",
            "q=sk-ant-api03-x, true",
            "crd_abcdef, true",
            "q=%zz, false",
    })
    void credentialsInTheQueryAreFound(String query, boolean present) {
        assertEquals(present, QueryCredentials.present(query));
    }
}
