package dev.creddy.anthropic.identity;

import java.util.List;
import java.util.Objects;

/**
 * Which granted scopes let an agent use the proxy: the required scope itself ({@code anthropic}), or
 * a narrower grant of it ({@code anthropic:claude}, anything after a colon). A scope that merely
 * starts with the same letters ({@code anthropic-admin}, {@code anthropicx}) grants nothing.
 * Immutable.
 */
public final class ScopeRule {

    private final String required;

    public ScopeRule(String required) {
        this.required = Objects.requireNonNull(required, "required");
    }

    /** The scopes of {@code granted} that satisfy the rule, in their order; empty when none does. */
    public List<String> satisfying(List<String> granted) {
        return granted.stream().filter(this::satisfies).distinct().toList();
    }

    private boolean satisfies(String scope) {
        return scope.equals(required) || (scope.startsWith(required + ":") && scope.length() > required.length() + 1);
    }

    /** The required scope. */
    @Override
    public String toString() {
        return required;
    }
}
