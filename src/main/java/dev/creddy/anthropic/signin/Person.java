package dev.creddy.anthropic.signin;

import java.io.Serializable;
import java.util.List;
import java.util.Objects;

/**
 * Who approved a sign-in at {@code /device}: the issuer that vouched for them (the proxy itself for the
 * container's login, the organisation's OpenID Connect provider otherwise), their subject, the name their
 * tokens carry as agent name, and their groups. Immutable; serializable, since the approval page keeps the
 * person who signed in with the provider in their HTTP session.
 */
public record Person(String issuer, String subject, String name, List<String> groups) implements Serializable {

    public Person {
        Objects.requireNonNull(issuer, "issuer");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(name, "name");
        groups = List.copyOf(groups);
    }
}
