package dev.creddy.anthropic.config;

import java.util.List;

/** Thrown at deployment when settings are wrong; the message names every bad setting and where it came from. */
public final class InvalidSettingsException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    public InvalidSettingsException(List<String> problems) {
        super("invalid creddy settings: " + String.join("; ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
