package dev.creddy.anthropic.web;

import jakarta.json.bind.annotation.JsonbPropertyOrder;
import java.util.List;
import java.util.Map;

/**
 * The body of {@code /health/ready}: {@code {"status":"ok","checks":{…}}}, or
 * {@code {"status":"unavailable","failing":["upstream_client"],"checks":{…}}} with each part's reason.
 *
 * Immutable.
 *
 * @param status {@code ok} or {@code unavailable}
 * @param failing the parts that fail, in check order; absent when none does
 * @param checks each part's own status, in check order
 * @param priceTable which price table costs are computed with
 */
@JsonbPropertyOrder({"status", "failing", "checks", "priceTable"})
public record Readiness(String status, List<String> failing, Map<String, HealthStatus> checks,
        @jakarta.json.bind.annotation.JsonbProperty("price_table") PriceTableView priceTable) {

    /**
     * The price table in force. Immutable.
     *
     * @param version a digest of its rows: it changes whenever a figure does
     * @param origin {@code built-in}, or where the operator's table came from
     * @param models how many rows it has
     */
    @JsonbPropertyOrder({"version", "origin", "models"})
    public record PriceTableView(String version, String origin, int models) {
    }
}
