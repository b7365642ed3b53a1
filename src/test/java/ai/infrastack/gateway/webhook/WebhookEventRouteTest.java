package ai.infrastack.gateway.webhook;

import ai.infrastack.gateway.support.Await;
import ai.infrastack.gateway.support.RunningGateway;
import ai.infrastack.gateway.support.WebhookReceiver;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.ProducerTemplate;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The contract other capabilities use: direct:webhook-event, the body delivered byte for byte. */
class WebhookEventRouteTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BATCH = "{\"type\":\"batch_completed\",\"batch_id\":\"batch_123\",\"status\":\"completed\","
            + "\"total_requests\":100,\"successful_requests\":98,\"total_cost\":5.67}";

    @Test
    void an_event_sent_to_the_route_reaches_its_url_and_the_configured_endpoints_signed_with_their_secrets() throws Exception {
        try (WebhookReceiver configured = WebhookReceiver.start(); WebhookReceiver perEvent = WebhookReceiver.start();
             WebhookReceiver alertsOnly = WebhookReceiver.start();
             RunningGateway gateway = RunningGateway.start(Map.of(
                     "gateway.webhooks.endpoints", "all,alerts",
                     "gateway.webhooks.endpoint.all.url", configured.url(),
                     "gateway.webhooks.endpoint.all.secret", "whsec_all_0123456789abcdef",
                     "gateway.webhooks.endpoint.alerts.url", alertsOnly.url(),
                     "gateway.webhooks.endpoint.alerts.secret", "whsec_alerts_0123456789abc",
                     "gateway.webhooks.endpoint.alerts.events", "cost_alert",
                     "gateway.webhooks.url-secret", "whsec_url_0123456789abcdef",
                     "gateway.webhooks.poll-ms", "100"))) {
            ProducerTemplate producer = gateway.context().createProducerTemplate();
            producer.sendBodyAndHeaders("direct:webhook-event", BATCH,
                    Map.of(WebhookEventIntake.EVENT, "batch_completed", WebhookEventIntake.URL, perEvent.url()));
            Await.until(() -> configured.accepted().size() == 1 && perEvent.accepted().size() == 1);
            long now = Instant.now().getEpochSecond();
            WebhookReceiver.Delivery d = configured.accepted().get(0);
            assertEquals(BATCH, d.body());
            assertEquals("batch_completed", d.header(WebhookSignature.EVENT_HEADER));
            assertTrue(WebhookSignature.verify("whsec_all_0123456789abcdef", d.header(WebhookSignature.TIMESTAMP_HEADER), d.body(),
                    d.header(WebhookSignature.SIGNATURE_HEADER), now, 300));
            WebhookReceiver.Delivery p = perEvent.accepted().get(0);
            assertEquals(BATCH, p.body());
            assertTrue(WebhookSignature.verify("whsec_url_0123456789abcdef", p.header(WebhookSignature.TIMESTAMP_HEADER), p.body(),
                    p.header(WebhookSignature.SIGNATURE_HEADER), now, 300));
            assertEquals(d.header(WebhookSignature.ID_HEADER), p.header(WebhookSignature.ID_HEADER), "one event id for all its deliveries");
            assertEquals(0, alertsOnly.deliveries().size(), "an endpoint for cost_alert only gets no batch_completed");
        }
    }

    @Test
    void an_endpoint_added_by_the_admin_api_gets_its_events_signed_with_its_secret_until_deleted() throws Exception {
        try (WebhookReceiver receiver = WebhookReceiver.start();
             RunningGateway gateway = RunningGateway.start(Map.of("gateway.webhooks.poll-ms", "100"))) {
            HttpResponse<String> created = gateway.post("/webhooks", "{\"url\":\"" + receiver.url()
                    + "\",\"events\":[\"batch_completed\"]}", RunningGateway.MASTER_KEY);
            assertEquals(201, created.statusCode(), created.body());
            JsonNode endpoint = JSON.readTree(created.body());
            String secret = endpoint.path("secret").asText();
            assertTrue(secret.startsWith("whsec_"), created.body());
            HttpResponse<String> list = gateway.get("/webhooks", RunningGateway.MASTER_KEY);
            assertFalse(list.body().contains(secret), "a secret is shown once");
            assertEquals(403, gateway.get("/webhooks", ordinaryKey(gateway)).statusCode());

            ProducerTemplate producer = gateway.context().createProducerTemplate();
            producer.sendBodyAndHeader("direct:webhook-event", JSON.readTree(BATCH), WebhookEventIntake.EVENT, "batch_completed");
            Await.until(() -> receiver.accepted().size() == 1);
            WebhookReceiver.Delivery d = receiver.accepted().get(0);
            assertEquals(JSON.readTree(BATCH), JSON.readTree(d.body()));
            assertTrue(WebhookSignature.verify(secret, d.header(WebhookSignature.TIMESTAMP_HEADER), d.body(),
                    d.header(WebhookSignature.SIGNATURE_HEADER), Instant.now().getEpochSecond(), 300));

            HttpResponse<String> deleted = gateway.delete("/webhooks/" + endpoint.path("id").asText(), RunningGateway.MASTER_KEY);
            assertEquals(200, deleted.statusCode(), deleted.body());
            Object rows = producer.request("direct:webhook-event", e -> {
                e.getMessage().setBody(BATCH);
                e.getMessage().setHeader(WebhookEventIntake.EVENT, "batch_completed");
            }).getMessage().getHeader("GatewayWebhookDeliveries");
            assertEquals(0, rows, "no endpoint takes it any more");
        }
    }

    private static String ordinaryKey(RunningGateway gateway) throws Exception {
        HttpResponse<String> r = gateway.post("/keys", "{\"tier\":\"pro\"}", RunningGateway.MASTER_KEY);
        return JSON.readTree(r.body()).path("key").asText();
    }

    @Test
    void an_event_without_a_type_is_refused_at_the_call() {
        try (RunningGateway gateway = RunningGateway.start()) {
            ProducerTemplate producer = gateway.context().createProducerTemplate();
            assertThrows(Exception.class, () -> producer.requestBody("direct:webhook-event", BATCH));
        }
    }

    @Test
    void a_receiver_refuses_a_replayed_or_altered_delivery() {
        long then = 1_700_000_000L;
        String signature = WebhookSignature.sign("whsec_x_0123456789abcdef", then, BATCH);
        assertTrue(WebhookSignature.verify("whsec_x_0123456789abcdef", String.valueOf(then), BATCH, signature, then + 299, 300));
        assertFalse(WebhookSignature.verify("whsec_x_0123456789abcdef", String.valueOf(then), BATCH, signature, then + 301, 300),
                "outside the replay window");
        assertFalse(WebhookSignature.verify("whsec_x_0123456789abcdef", String.valueOf(then), BATCH.replace("98", "99"), signature, then, 300));
        assertFalse(WebhookSignature.verify("whsec_x_0123456789abcdef", String.valueOf(then + 1), BATCH, signature, then, 300),
                "the timestamp is signed too");
    }
}
