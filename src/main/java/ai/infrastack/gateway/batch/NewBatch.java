package ai.infrastack.gateway.batch;

import java.util.List;

/**
 * A batch as submitted, checked: its items (each one chat request's JSON, and the client's optional
 * custom_id) and how it is to run.
 */
record NewBatch(List<Item> items, int maxConcurrent, boolean returnIndividualCosts, String webhookUrl) {

    record Item(String customId, String requestJson) {
    }
}
