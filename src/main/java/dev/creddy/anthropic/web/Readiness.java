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
 */
@JsonbPropertyOrder({"status", "failing", "checks"})
public record Readiness(String status, List<String> failing, Map<String, HealthStatus> checks) {
}
