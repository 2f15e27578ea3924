package dev.creddy.anthropic.web;

import jakarta.json.bind.annotation.JsonbPropertyOrder;

/** The body of {@code /health}: {@code {"status":"ok"}}, or the reason the proxy cannot serve. */
@JsonbPropertyOrder({"status", "reason"})
public record HealthStatus(String status, String reason) {
}
