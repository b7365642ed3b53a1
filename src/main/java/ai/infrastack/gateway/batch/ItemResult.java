package ai.infrastack.gateway.batch;

import java.math.BigDecimal;

/**
 * One item's stored outcome: its state (completed, failed, cancelled, or pending/running while the
 * batch runs), the HTTP status and body the pipeline answered with, its cost and request id.
 */
record ItemResult(int index, String customId, String state, Integer httpStatus, String responseBody,
                  BigDecimal cost, String requestId) {
}
