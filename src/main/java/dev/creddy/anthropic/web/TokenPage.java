package dev.creddy.anthropic.web;

import jakarta.json.bind.annotation.JsonbNillable;
import jakarta.json.bind.annotation.JsonbProperty;
import jakarta.json.bind.annotation.JsonbPropertyOrder;
import java.util.List;

/**
 * One page of {@code GET /v1/tokens}, shaped like Anthropic's own list responses: pass
 * {@code last_id} as {@code after} to get the next page while {@code has_more} is true.
 */
@JsonbPropertyOrder({"data", "hasMore", "firstId", "lastId"})
public record TokenPage(
        List<TokenSummary> data,
        @JsonbProperty("has_more") boolean hasMore,
        @JsonbProperty("first_id") @JsonbNillable String firstId,
        @JsonbProperty("last_id") @JsonbNillable String lastId) {
}
