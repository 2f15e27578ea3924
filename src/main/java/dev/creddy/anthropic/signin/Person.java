package dev.creddy.anthropic.signin;

import java.util.List;
import java.util.Objects;

/**
 * Who approved a sign-in at {@code /device}: the issuer that vouched for them (the proxy itself for the
 * container's login), their subject, the name their tokens carry as agent name, and their groups.
 * Immutable.
 */
public record Person(String issuer, String subject, String name, List<String> groups) {

    public Person {
        Objects.requireNonNull(issuer, "issuer");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(name, "name");
        groups = List.copyOf(groups);
    }
}
