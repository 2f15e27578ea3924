package dev.creddy.anthropic.config;

/**
 * Recognises a configuration value that still holds a placeholder its server was meant to replace:
 * Tomcat's and WildFly's {@code ${NAME}}, the same escaped as {@code $\{NAME}} (what some templates and
 * shells leave behind), and Jakarta EL / Payara's {@code #{NAME}}. A server that cannot resolve one
 * (the environment variable missing, or Tomcat's {@code catalina.properties} line that enables
 * environment lookups skipped) passes the text on literally; taken as a secret, {@code ${CREDDY_ISSUER_KEY}}
 * would be a key anyone who has read the repository knows.
 *
 * <p>Stateless and thread-safe. No regular expression: start-up code, but a plain scan says exactly
 * what counts.
 */
public final class Placeholders {

    private static final String[] OPENINGS = {"${", "$\\{", "#{"};

    private Placeholders() {
    }

    /** Whether {@code value} holds an opening ({@code ${}, {@code $\{} or {@code #{}) closed by a later {@code }}. */
    public static boolean isUnresolved(String value) {
        for (String opening : OPENINGS) {
            int at = value.indexOf(opening);
            if (at >= 0 && value.indexOf('}', at + opening.length()) >= 0) {
                return true;
            }
        }
        return false;
    }
}
