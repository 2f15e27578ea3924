package dev.creddy.anthropic.standalone;

import dev.creddy.anthropic.config.Setting;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The launcher's command line, with the original tool's flags. Flags take {@code --name value},
 * {@code --name=value} or Go's single-dash forms. Each setting's flag comes from {@link Setting}, and
 * so does the {@link #usage() help}; the few flags of the launcher itself are listed here. Settings
 * given here become context parameters of the application, so they win over environment variables
 * (which the application reads itself). Immutable.
 *
 * @param address where to listen
 * @param contextPath the application's context path ({@code ""} for the root)
 * @param settings setting name to value, e.g. {@code max-ttl -> 8h}
 * @param help whether to print the usage and exit
 * @param auditLog where the audit lines go instead of stdout (a rotated file), or null
 * @param connector what the client-facing connector allows each client
 */
record LaunchOptions(ListenAddress address, String contextPath, Map<String, String> settings, boolean help, Path auditLog,
        ConnectorLimits connector) {

    static final String DEFAULT_ADDRESS = "127.0.0.1:8080";

    /** Where a description starts in {@code --help}, and how wide it may run. */
    private static final int DESCRIPTION_COLUMN = 26;
    private static final int WIDTH = 110;

    /** The launcher's own flags, which are no settings of the application: flag (with its value) and meaning. */
    private static final List<List<String>> LAUNCHER_FLAGS = List.of(
            List.of("--addr HOST:PORT", "where to listen (default 127.0.0.1:8080; \":8080\" = every interface)"),
            List.of("--context-path PATH", "serve under PATH instead of the root, e.g. /creddy"),
            List.of("--audit-log FILE", "write the audit lines (JSON, one per line) to FILE.0, rotated at 100 MB to "
                    + "FILE.1 ... FILE.9, instead of stdout"),
            List.of("--max-client-connections N", "open client connections in all (default: 40% of the heap at 64 KB "
                    + "each, at most 20000)"),
            List.of("--max-connections-per-address N", "open connections from one client address (default 256; 0 = no cap, "
                    + "e.g. behind a front proxy, whose address they all have)"),
            List.of("--connection-timeout DUR", "the wait for a request's first byte and each read of its head (default 20s)"),
            List.of("--upload-timeout DUR", "the wait for each read of a request body (default 30s)"),
            List.of("--keep-alive-timeout DUR", "how long an idle connection waits for its next request (default 65s)"),
            List.of("--max-keep-alive-requests N", "requests per connection before it is closed (default 10000; -1 = unlimited)"),
            List.of("--max-swallow-size SIZE", "the most of an unread request body read to keep a connection (default 4KB; "
                    + "beyond it the connection is closed)"),
            List.of("--max-threads N", "request threads (default 16 per core, at least 32; exchanges are asynchronous, "
                    + "so a thread is busy only while a request is checked)"),
            List.of("--proxy", "accepted for compatibility with the original tool (the only mode)"),
            List.of("--help", "print this help"));

    static String usage() {
        StringBuilder usage = new StringBuilder("""
                Usage: java -jar creddy-anthropic-standalone.jar [options]

                Runs the creddy-anthropic proxy in an embedded Tomcat: agents get short-lived crd_ tokens
                from POST /v1/tokens and use the Anthropic API through the proxy, which holds the real key.
                Keys belong in the environment (ANTHROPIC_API_KEY, CREDDY_ISSUER_KEY), not on the command
                line, where ps shows them. Audit lines go to stdout, everything else to stderr. A wrong
                setting ends the launcher with exit code 2, a listener that cannot bind with 1.

                Options:
                """);
        for (List<String> flag : LAUNCHER_FLAGS) {
            option(usage, flag.get(0), flag.get(1));
        }
        usage.append("\nSettings (a flag wins over the environment variable):\n");
        for (Setting setting : Setting.values()) {
            if (setting.flag() == null) {
                continue;
            }
            String flag = setting.flag() + (setting.flagValue() == null ? "" : " " + setting.flagValue());
            StringBuilder meaning = new StringBuilder(setting.description() == null ? "" : setting.description().replace("`", ""));
            meaning.append(" (");
            if (setting.defaultValue() != null) {
                meaning.append("default ").append(setting.defaultValue()).append("; ");
            }
            meaning.append("$").append(setting.environmentVariable()).append(")");
            option(usage, flag, meaning.toString());
        }
        usage.append("\nEvery setting, with its JNDI name and context parameter: docs/configuration.md\n");
        return usage.toString();
    }

    /** One option: the flag, then its meaning wrapped at the description column. */
    private static void option(StringBuilder usage, String flag, String meaning) {
        String indent = " ".repeat(DESCRIPTION_COLUMN);
        usage.append("  ").append(flag);
        if (flag.length() + 2 < DESCRIPTION_COLUMN - 1) {
            usage.append(" ".repeat(DESCRIPTION_COLUMN - 2 - flag.length()));
        } else {
            usage.append('\n').append(indent);
        }
        int column = DESCRIPTION_COLUMN;
        boolean first = true;
        for (String word : meaning.split(" ")) {
            if (!first && column + 1 + word.length() > WIDTH) {
                usage.append('\n').append(indent);
                column = DESCRIPTION_COLUMN;
                first = true;
            }
            if (!first) {
                usage.append(' ');
                column++;
            }
            usage.append(word);
            column += word.length();
            first = false;
        }
        usage.append('\n');
    }

    static LaunchOptions parse(String[] args) {
        ListenAddress address = ListenAddress.parse(DEFAULT_ADDRESS);
        String contextPath = "";
        Map<String, String> settings = new LinkedHashMap<>();
        boolean help = false;
        Path auditLog = null;
        Map<String, String> connectorFlags = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("-") || arg.equals("-") || arg.equals("--")) {
                // Not repeated: a stray argument is often a secret that lost its flag.
                throw new IllegalArgumentException("unexpected argument at position " + (i + 1) + ": every option starts with --");
            }
            String flag = arg.startsWith("--") ? arg.substring(2) : arg.substring(1);
            String value = null;
            int equals = flag.indexOf('=');
            if (equals >= 0) {
                value = flag.substring(equals + 1);
                flag = flag.substring(0, equals);
            }
            switch (flag) {
                case "help", "h" -> help = true;
                case "proxy" -> requireNoValue(flag, value);
                case "addr" -> address = ListenAddress.parse(value != null ? value : next(args, ++i, flag));
                case "context-path" -> contextPath = contextPath(value != null ? value : next(args, ++i, flag));
                case "audit-log" -> auditLog = auditLog(value != null ? value : next(args, ++i, flag));
                default -> {
                    if (ConnectorLimits.FLAGS.contains(flag)) {
                        connectorFlags.put(flag, value != null ? value : next(args, ++i, flag));
                        continue;
                    }
                    // Only the flag's name in the message: its value may be a key.
                    String name = flag;
                    Setting setting = Setting.forFlag(name)
                            .orElseThrow(() -> new IllegalArgumentException("unknown flag --" + name));
                    if (setting.flagValue() == null) {
                        // A switch: alone it means true; --open-issuance=false is accepted too.
                        settings.put(setting.key(), value == null ? "true" : value);
                    } else {
                        settings.put(setting.key(), value != null ? value : next(args, ++i, flag));
                    }
                }
            }
        }
        return new LaunchOptions(address, contextPath, Map.copyOf(settings), help, auditLog, ConnectorLimits.parse(connectorFlags));
    }

    private static Path auditLog(String file) {
        if (file.isBlank()) {
            throw new IllegalArgumentException("--audit-log needs a file name");
        }
        return Path.of(file);
    }

    private static String next(String[] args, int index, String flag) {
        if (index >= args.length) {
            throw new IllegalArgumentException("flag --" + flag + " needs a value");
        }
        return args[index];
    }

    private static void requireNoValue(String flag, String value) {
        if (value != null) {
            throw new IllegalArgumentException("flag --" + flag + " takes no value");
        }
    }

    private static String contextPath(String path) {
        if (path.isEmpty() || path.equals("/")) {
            return "";
        }
        if (!path.startsWith("/") || path.endsWith("/")) {
            throw new IllegalArgumentException("--context-path must start with / and not end with one, e.g. /creddy");
        }
        return path;
    }

    @Override
    public String toString() {
        // Never print the settings: they may hold the real key.
        return "LaunchOptions[address=" + address + ", contextPath=" + contextPath + ", settings=" + settings.keySet()
                + ", auditLog=" + auditLog + "]";
    }
}
