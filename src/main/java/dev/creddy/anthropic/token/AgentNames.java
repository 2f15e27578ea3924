package dev.creddy.anthropic.token;

/**
 * The rules for text that ends up in listings and log lines as an agent's name or identity: not
 * empty, at most {@value #MAX_LENGTH} characters, and nothing that could disguise a line. Shared by
 * requested names and names taken from identity tokens. Stateless.
 */
public final class AgentNames {

    public static final int MAX_LENGTH = 128;

    private AgentNames() {
    }

    /**
     * Returns {@code text} when it follows the rules.
     *
     * @param field the name the message uses, e.g. {@code agent_name}
     * @throws IllegalArgumentException saying which rule it breaks, without quoting it
     */
    public static String check(String field, String text) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException(field + " must not be empty");
        }
        if (text.codePointCount(0, text.length()) > MAX_LENGTH) {
            throw new IllegalArgumentException(field + " is longer than " + MAX_LENGTH + " characters");
        }
        if (text.codePoints().anyMatch(AgentNames::breaksLines)) {
            throw new IllegalArgumentException(field + " must not contain control, line-separator or invisible format characters");
        }
        return text;
    }

    /**
     * Characters that could disguise a log line or a listing: controls, Unicode line and paragraph
     * separators, invisible format characters (bidi overrides, zero-width spaces) and lone surrogates.
     */
    private static boolean breaksLines(int codePoint) {
        int type = Character.getType(codePoint);
        return Character.isISOControl(codePoint) || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR
                || type == Character.FORMAT || type == Character.SURROGATE;
    }
}
