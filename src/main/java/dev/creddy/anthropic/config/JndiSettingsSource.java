package dev.creddy.anthropic.config;

import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.naming.InitialContext;
import javax.naming.NamingException;

/**
 * Settings bound in JNDI, where app servers provision secrets: {@code java:comp/env/creddy/<name>}
 * (Tomcat's context {@code <Environment>}), then {@code java:global/creddy/<name>} (a WildFly naming
 * binding), then {@code creddy/<name>} (a Payara custom resource). Thread-safe: each lookup uses its
 * own {@link InitialContext}.
 */
public final class JndiSettingsSource implements SettingsSource {

    private static final Logger LOG = Logger.getLogger(JndiSettingsSource.class.getName());
    private static final List<String> PREFIXES = List.of("java:comp/env/", "java:global/", "");

    @Override
    public Optional<String> lookup(Setting setting) {
        return find(setting).map(Binding::value);
    }

    /** Names the JNDI name that holds the setting, or the names searched when none does. */
    @Override
    public String describe(Setting setting) {
        return find(setting).map(binding -> "JNDI " + binding.name())
                .orElse("JNDI name " + setting.jndiName());
    }

    private record Binding(String name, String value) {
    }

    private Optional<Binding> find(Setting setting) {
        InitialContext context;
        try {
            context = new InitialContext();
        } catch (NamingException e) {
            LOG.log(Level.FINE, "no JNDI here; settings come from context parameters and the environment");
            return Optional.empty();
        }
        try {
            for (String prefix : PREFIXES) {
                String name = prefix + setting.jndiName();
                Optional<String> value = lookup(context, name);
                if (value.isPresent()) {
                    return Optional.of(new Binding(name, value.get()));
                }
            }
            return Optional.empty();
        } finally {
            try {
                context.close();
            } catch (NamingException ignored) {
                // nothing was opened that needs closing
            }
        }
    }

    private static Optional<String> lookup(InitialContext context, String name) {
        try {
            Object value = context.lookup(name);
            return value == null ? Optional.empty() : Optional.of(value.toString());
        } catch (NamingException | RuntimeException e) {
            // Unbound names are the normal case; some servers throw runtime exceptions for foreign namespaces.
            return Optional.empty();
        }
    }
}
