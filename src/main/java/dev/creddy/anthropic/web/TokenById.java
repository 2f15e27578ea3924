package dev.creddy.anthropic.web;

import dev.creddy.anthropic.token.TokenId;
import dev.creddy.anthropic.token.TokenRecord;
import dev.creddy.anthropic.token.TokenRegistry;
import java.util.List;
import java.util.Optional;

/**
 * Finds a live token's record by its id with one listing call, so that a revocation's audit line
 * can name the agent. The registry lists in id order after an exclusive bound; the bound here is the
 * largest well-formed id below the one sought, so the first record listed is that token if it is live.
 * Stateless.
 */
final class TokenById {

    /** The id alphabet (URL-safe base64) in the order ids sort. */
    private static final String ALPHABET = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
    private static final String PREFIX = "tok_";

    private TokenById() {
    }

    static Optional<TokenRecord> find(TokenRegistry registry, TokenId id) {
        List<TokenRecord> first = registry.list(1, predecessor(id));
        return first.stream().filter(record -> record.id().equals(id)).findFirst();
    }

    /** The largest well-formed id that sorts before {@code id}, or empty when {@code id} is the smallest. */
    static Optional<TokenId> predecessor(TokenId id) {
        char[] chars = id.value().substring(PREFIX.length()).toCharArray();
        for (int i = chars.length - 1; i >= 0; i--) {
            int position = ALPHABET.indexOf(chars[i]);
            if (position > 0) {
                chars[i] = ALPHABET.charAt(position - 1);
                return Optional.of(new TokenId(PREFIX + new String(chars)));
            }
            // Borrow: this place wraps to the largest character and the one before it goes down.
            chars[i] = ALPHABET.charAt(ALPHABET.length() - 1);
        }
        return Optional.empty();
    }
}
