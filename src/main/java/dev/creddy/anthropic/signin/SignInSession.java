package dev.creddy.anthropic.signin;

import dev.creddy.anthropic.token.TokenId;
import java.time.Instant;
import java.util.Objects;

/**
 * One signed-in Claude Code: a chain of access tokens and refresh tokens that began with one approval.
 * Only the newest refresh token of the chain is good; presenting an older one means it was copied, and
 * ends the chain. Immutable: each refresh makes the next value.
 *
 * @param chainId the chain's id, never shown to anyone
 * @param person who signed in
 * @param endsAt when the chain ends whatever happens ({@code device-session-max} after the approval)
 * @param accessTokenId the chain's current access token
 * @param accessExpiresAt when that token expires
 * @param refreshDigest the digest of the chain's one good refresh token
 */
public record SignInSession(String chainId, Person person, Instant endsAt, TokenId accessTokenId, Instant accessExpiresAt,
        String refreshDigest) {

    public SignInSession {
        Objects.requireNonNull(chainId, "chainId");
        Objects.requireNonNull(person, "person");
        Objects.requireNonNull(endsAt, "endsAt");
        Objects.requireNonNull(accessTokenId, "accessTokenId");
        Objects.requireNonNull(accessExpiresAt, "accessExpiresAt");
        Objects.requireNonNull(refreshDigest, "refreshDigest");
    }
}
