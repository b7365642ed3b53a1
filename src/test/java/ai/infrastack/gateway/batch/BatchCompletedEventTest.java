package ai.infrastack.gateway.batch;

import ai.infrastack.gateway.support.RunningGateway;
import com.fasterxml.jackson.databind.JsonNode;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static ai.infrastack.gateway.support.RunningGateway.MASTER_KEY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The batch_completed event reaches the webhook outbox's route (direct:webhook-event, owned by the
 * webhooks capability; a stand-in here) once, with the spec's body, its type in GatewayWebhookEvent and
 * the batch's webhook_url in GatewayWebhookUrl. Without that route a batch still completes (every other
 * batch test runs without it). Delivery itself is the outbox's, tested there.
 */
class BatchCompletedEventTest {

    record Event(String body, Map<String, Object> headers) {
    }

    @Test
    void a_finished_batch_hands_the_spec_body_to_the_webhook_outbox_once() throws Exception {
        List<Event> events = new CopyOnWriteArrayList<>();
        try (RunningGateway gateway = RunningGateway.start(Map.of("gateway.batch.poll-ms", "200"))) {
            gateway.context().addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    from("direct:webhook-event").routeId("webhook-outbox-stand-in")
                            .process(e -> events.add(new Event(e.getMessage().getBody(String.class), Map.copyOf(e.getMessage().getHeaders()))));
                }
            });
            var body = Batches.body(4, 2, i -> "webhook item " + i);
            body.put("webhook_url", "https://hooks.example.com/batches?token=abc");
            ((com.fasterxml.jackson.databind.node.ObjectNode) body.path("requests").get(3))
                    .put("model", "no-such-model");
            HttpResponse<String> r = gateway.post("/batches", body.toString(), MASTER_KEY);
            assertEquals(202, r.statusCode(), r.body());
            String id = Batches.read(r.body()).path("batch_id").asText();
            JsonNode done = Batches.awaitFinished(() -> gateway.get("/batches/" + id, MASTER_KEY).body(), Duration.ofSeconds(60));
            assertEquals("failed", done.path("results").get(3).path("status").asText(), done.toString());
            assertEquals("not_found_error", done.path("results").get(3).path("error").path("type").asText(), done.toString());

            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (events.isEmpty() && System.nanoTime() < deadline) {
                Batches.pause();
            }
            assertEquals(1, events.size(), events.toString());
            Event event = events.get(0);
            assertEquals("batch_completed", event.headers().get("GatewayWebhookEvent"));
            assertEquals("https://hooks.example.com/batches?token=abc", event.headers().get("GatewayWebhookUrl"));
            JsonNode sent = Batches.read(event.body());
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
