package dev.creddy.anthropic.usage;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The {@code Accept-Encoding} to send upstream so that the response stays meterable: the client's
 * header (RFC 9110 §12.5.3) restricted to the codings the meters can read. Stateless.
 */
public final class AcceptEncoding {

    /** The codings {@link ResponseMeters} can read, in the order {@code *} stands for them. */
    private static final List<String> METERABLE = List.of("gzip", "deflate", "identity");
    private static final Set<String> NAMES = Set.of("gzip", "x-gzip", "deflate", "identity");

    private AcceptEncoding() {
    }

    /**
     * The client's {@code Accept-Encoding} without the codings a meter cannot read ({@code br},
     * {@code zstd}, ...). Each kept coding keeps its parameters ({@code ;q=0.5}) as the client wrote
     * them; {@code *} becomes each of {@code gzip}, {@code deflate}, {@code identity} that the client
     * did not name, with the {@code *}'s parameters. When nothing is left, or there was no header
     * (which would allow any coding), the answer is {@code identity}.
     */
    public static String meterable(String clientAcceptEncoding) {
        return meterable(clientAcceptEncoding == null ? java.util.List.<String>of() : java.util.List.of(clientAcceptEncoding));
    }

    /**
     * The same for every {@code Accept-Encoding} header the client sent: RFC 9110 §5.3 makes several
     * field lines of one name one comma-separated list, so all of them are read, and the caller sends
     * the answer as the only {@code Accept-Encoding} (replacing one of several would let the others
     * switch metering off).
     */
    public static String meterable(java.util.List<String> clientValues) {
        StringBuilder joined = new StringBuilder();
        for (String value : clientValues) {
            if (value != null && !value.isBlank()) {
                if (joined.length() > 0) {
                    joined.append(',');
                }
                joined.append(value);
            }
        }
        String clientAcceptEncoding = joined.toString();
        if (clientAcceptEncoding == null || clientAcceptEncoding.isBlank()) {
            return "identity";
        }
        List<String[]> elements = new ArrayList<>();
        Set<String> named = new LinkedHashSet<>();
        for (String element : clientAcceptEncoding.split(",")) {
            String trimmed = element.trim();
            if (trimmed.isEmpty()) {
                continue;
            }
            int semicolon = trimmed.indexOf(';');
            String coding = (semicolon < 0 ? trimmed : trimmed.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
            String parameters = semicolon < 0 ? "" : trimmed.substring(semicolon);
            elements.add(new String[] {coding, parameters});
            named.add(coding.equals("x-gzip") ? "gzip" : coding);
        }
        List<String> kept = new ArrayList<>();
        for (String[] element : elements) {
            String coding = element[0];
            if (NAMES.contains(coding)) {
                kept.add(coding + element[1]);
            } else if (coding.equals("*")) {
                for (String meterable : METERABLE) {
                    if (!named.contains(meterable)) {
                        kept.add(meterable + element[1]);
                    }
                }
            }
        }
        return kept.isEmpty() ? "identity" : String.join(", ", kept);
    }
}
