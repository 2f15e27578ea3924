package dev.creddy.anthropic.api;

import jakarta.json.bind.annotation.JsonbPropertyOrder;

/** The JSON shape of an Anthropic error: {@code {"type":"error","error":{"type":…,"message":…}}}. */
@JsonbPropertyOrder({"type", "error"})
public record ErrorBody(String type, Detail error) {

    /** The inner {@code error} object. */
    @JsonbPropertyOrder({"type", "message"})
    public record Detail(String type, String message) {
    }

    public static ErrorBody of(ApiError error) {
        return new ErrorBody("error", new Detail(error.type(), error.message()));
    }
}
