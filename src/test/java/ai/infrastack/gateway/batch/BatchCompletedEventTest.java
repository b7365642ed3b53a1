package ai.infrastack.gateway.batch;

import ai.infrastack.gateway.support.RunningGateway;
import ai.infrastack.gateway.support.WebhookReceiver;
import ai.infrastack.gateway.webhook.WebhookSignature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static ai.infrastack.gateway.support.RunningGateway.MASTER_KEY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A finished batch's batch_completed event goes through the webhook outbox to the batch's webhook_url:
 * delivered once, signed with the URL secret, with exactly the spec's body, also after the receiver
 * answered 500 once.
 */
class BatchCompletedEventTest {
    private static final String URL_SECRET = "whsec_batch_url_secret_0123456789";

    @Test
    void a_finished_batch_is_announced_once_to_its_webhook_url_signed_with_the_spec_body() throws Exception {
        try (WebhookReceiver receiver = WebhookReceiver.start();
             RunningGateway gateway = RunningGateway.start(Map.of("gateway.batch.poll-ms", "200",
                     "gateway.webhooks.url-secret", URL_SECRET, "gateway.webhooks.poll-ms", "100",
                     "gateway.webhooks.backoff-base-ms", "50", "gateway.webhooks.backoff-max-ms", "200"))) {
            receiver.failNext(1);
            ObjectNode body = Batches.body(4, 2, i -> "webhook item " + i);
            body.put("webhook_url", receiver.url());
            ((ObjectNode) body.path("requests").get(3)).put("model", "no-such-model");
            HttpResponse<String> r = gateway.post("/batches", body.toString(), MASTER_KEY);
            assertEquals(202, r.statusCode(), r.body());
            String id = Batches.read(r.body()).path("batch_id").asText();
            JsonNode done = Batches.awaitFinished(() -> gateway.get("/batches/" + id, MASTER_KEY).body(), Duration.ofSeconds(60));
            assertEquals("failed", done.path("results").get(3).path("status").asText(), done.toString());
            assertEquals("not_found_error", done.path("results").get(3).path("error").path("type").asText(), done.toString());

            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (receiver.accepted().isEmpty() && System.nanoTime() < deadline) {
                Batches.pause();
            }
            assertEquals(1, receiver.accepted().size(), receiver.deliveries().toString());
            assertEquals(2, receiver.deliveries().size(), "one 500, then the accepted retry: " + receiver.deliveries());
            WebhookReceiver.Delivery d = receiver.accepted().get(0);
            assertTrue(WebhookSignature.verify(URL_SECRET, d.header(WebhookSignature.TIMESTAMP_HEADER), d.body(),
                    d.header(WebhookSignature.SIGNATURE_HEADER), Instant.now().getEpochSecond(), 300), "signature of " + d);
            JsonNode sent = Batches.read(d.body());
            assertEquals("batch_completed", sent.path("type").asText());
            assertEquals(id, sent.path("batch_id").asText());
            assertEquals("completed", sent.path("status").asText());
            assertEquals(4, sent.path("total_requests").asInt());
            assertEquals(3, sent.path("successful_requests").asInt());
            assertEquals(0, sent.path("total_cost").decimalValue().compareTo(done.path("total_cost").decimalValue()));
            assertTrue(sent.path("total_cost").decimalValue().signum() > 0);
            assertEquals(6, sent.size(), "exactly the spec's fields: " + sent);
        }
    }
}
