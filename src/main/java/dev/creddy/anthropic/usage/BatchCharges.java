package dev.creddy.anthropic.usage;

import dev.creddy.anthropic.ownership.ObjectKind;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletionStage;

/**
 * What each Message Batch's results have been charged so far, so that every result line is charged
 * once however often the results are downloaded ({@code GET /v1/messages/batches/{id}/results}).
 *
 * <p>A download reads the first lines of the file in full ({@link BatchResultsMeter#usage()}: their
 * summed usage and cost), all of them or, when it broke off, a prefix. An ended batch's results file
 * is the same on every download, so the figures of its prefixes only grow with their length; the
 * store keeps, per batch, the largest figures any download read (part by part), and a download is
 * charged what its figures add to them. A second whole download adds nothing; a download broken off
 * after a hundred lines and a whole one after it are charged the hundred and then the rest. Should the
 * upstream ever serve the lines in another order, no part is charged more than the whole file holds.
 *
 * <p>A batch's record is kept {@link #KEPT} after its first download, longer than Anthropic keeps its
 * results (29 days from its creation). Implementations are thread-safe and never block their caller.
 */
interface BatchCharges {

    /** How long a batch's charges are remembered: as long as the proxy remembers its owner. */
    Duration KEPT = ObjectKind.BATCH.kept().orElseThrow();

    /**
     * Records that a download of {@code batchId}'s results read {@code read}, and completes with the
     * part of it no download has been charged before: tokens and cost only (no request, error or
     * partial count).
     */
    CompletionStage<Usage> claim(String batchId, Usage read, Instant now);

    /** The part by part largest of {@code charged} and {@code read}: what is charged once {@code read} is. */
    static Usage largest(Usage charged, Usage read) {
        return new Usage(0, Math.max(charged.inputTokens(), read.inputTokens()),
                Math.max(charged.outputTokens(), read.outputTokens()),
                Math.max(charged.cacheCreationInputTokens(), read.cacheCreationInputTokens()),
                Math.max(charged.cacheReadInputTokens(), read.cacheReadInputTokens()), 0,
                Math.max(charged.costMicros(), read.costMicros()), Math.max(charged.unpriced(), read.unpriced()), 0);
    }

    /** What {@code after} adds to {@code before}, part by part (both from {@link #largest}, so never negative). */
    static Usage added(Usage before, Usage after) {
        return new Usage(0, after.inputTokens() - before.inputTokens(), after.outputTokens() - before.outputTokens(),
                after.cacheCreationInputTokens() - before.cacheCreationInputTokens(),
                after.cacheReadInputTokens() - before.cacheReadInputTokens(), 0, after.costMicros() - before.costMicros(),
                after.unpriced() - before.unpriced(), 0);
    }

    /** The request itself of a results download: one request, its error, its partial mark, no tokens. */
    static Usage requestOf(Usage download) {
        return new Usage(download.requests(), 0, 0, 0, 0, download.errors(), 0, 0, download.partial());
    }
}
