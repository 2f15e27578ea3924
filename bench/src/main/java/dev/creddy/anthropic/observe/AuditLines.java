package dev.creddy.anthropic.observe;

/** The audit line's encoder, for the benchmarks outside this package. Stateless. */
public final class AuditLines {

    private AuditLines() {
    }

    /** What the audit writer thread encodes per entry ({@link AuditLine}). */
    public static String line(AuditEntry entry) {
        return AuditLine.of(entry);
    }
}
