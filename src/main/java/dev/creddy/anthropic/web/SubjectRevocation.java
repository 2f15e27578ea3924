package dev.creddy.anthropic.web;

import jakarta.json.bind.annotation.JsonbNillable;
import jakarta.json.bind.annotation.JsonbProperty;
import jakarta.json.bind.annotation.JsonbPropertyOrder;
import java.util.List;

/**
 * The answer of {@code DELETE /v1/tokens?subject=…}: whose tokens were revoked, their ids, and how many
 * of the person's gateway sign-ins were ended with them. Immutable.
 */
@JsonbPropertyOrder({"subject", "issuer", "revoked", "signInsEnded"})
public record SubjectRevocation(
        String subject,
        @JsonbNillable String issuer,
        List<String> revoked,
        @JsonbProperty("sign_ins_ended") int signInsEnded) {
}
