package ai.infrastack.gateway.batch;

import java.math.BigDecimal;
import java.time.Instant;

/** A batch's row and its item counts, as stored now. */
record BatchSummary(String id, String keyId, String status, int maxConcurrent, boolean returnIndividualCosts,
                    String webhookUrl, int total, int completed, int failed, int cancelled, BigDecimal totalCost,
                    Instant createdAt, Instant startedAt, Instant finishedAt) {

    static final String QUEUED = "queued";
    static final String IN_PROGRESS = "in_progress";
    static final String COMPLETED = "completed";
    static final String FAILED = "failed";
    static final String CANCELLED = "cancelled";

    boolean finished() {
        return finishedAt != null;
    }

    int done() {
        return completed + failed + cancelled;
    }
}
