package ai.infrastack.gateway.budget;

import ai.infrastack.gateway.support.Await;
import ai.infrastack.gateway.support.RunningGateway;
import ai.infrastack.gateway.support.TestDatabases;
import ai.infrastack.gateway.support.WebhookReceiver;
import ai.infrastack.gateway.webhook.WebhookSignature;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.stream.StreamSupport;

import static ai.infrastack.gateway.budget.BudgetClients.JSON;
import static ai.infrastack.gateway.budget.BudgetClients.chat;
import static ai.infrastack.gateway.budget.BudgetClients.json;
import static ai.infrastack.gateway.budget.BudgetClients.postAsync;
import static ai.infrastack.gateway.budget.BudgetClients.projectKey;
import static ai.infrastack.gateway.budget.BudgetClients.setBudget;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Cost alerts reach a real HTTP receiver once per threshold per period, signed, on PostgreSQL:
 * with 20 requests crossing at once over two instances, after two 500 answers, and across a restart.
 */
class CostAlertWebhookTest {
    private static final String SECRET = "whsec_test_secret_0123456789";
    private static final String PROMPT = "Describe the sea in two sentences.";

    private static Map<String, String> settings(String database, WebhookReceiver receiver, boolean deliver) {
        Map<String, String> p = new HashMap<>();
        p.put("gateway.database.url", database);
        p.put("gateway.webhooks.endpoints", "hook");
        p.put("gateway.webhooks.endpoint.hook.url", receiver.url());
        p.put("gateway.webhooks.endpoint.hook.secret", SECRET);
        p.put("gateway.webhooks.endpoint.hook.events", "cost_alert");
        p.put("gateway.webhooks.delivery-enabled", String.valueOf(deliver));
        p.put("gateway.webhooks.poll-ms", "100");
        p.put("gateway.webhooks.backoff-base-ms", "50");
        p.put("gateway.webhooks.backoff-max-ms", "200");
        return p;
    }

    @Test
    void twenty_requests_crossing_thresholds_at_once_on_two_instances_fire_one_signed_alert_per_threshold() {
        String database = TestDatabases.freshPostgres();
        try (WebhookReceiver receiver = WebhookReceiver.start();
             RunningGateway gateway = RunningGateway.start(settings(database, receiver, true));
             RunningGateway other = RunningGateway.start(settings(database, receiver, true))) {
            String key = projectKey(gateway, "alerts");
            // One request's cost, before anything is tracked for this project.
            HttpResponse<String> probe = gateway.post("/chat/completions", chat("gpt-4o", PROMPT, null), key);
            assertEquals(200, probe.statusCode(), probe.body());
            BigDecimal each = json(probe).path("cost").path("total_cost").decimalValue();
            BigDecimal requestThreshold = each.multiply(new BigDecimal("5.5")).setScale(8, RoundingMode.HALF_EVEN);
            BigDecimal budgetThreshold = each.multiply(new BigDecimal("12.5")).setScale(8, RoundingMode.HALF_EVEN);
            setBudget(gateway, "{\"project_id\":\"alerts\",\"period\":\"day\",\"limit\":100,\"alert_thresholds\":["
                    + budgetThreshold.toPlainString() + "]}");

            String body = chat("gpt-4o", PROMPT, "{\"budget\":{\"cost_alert_threshold\":" + requestThreshold.toPlainString()
                    + ",\"user_id\":\"u1\"}}");
            List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                // split over two instances, each with its own webhook sender
                calls.add(postAsync(i % 2 == 0 ? gateway : other, body, key));
            }
            calls.forEach(c -> assertEquals(200, c.join().statusCode()));
            awaitDelivered(gateway, 2);

            List<WebhookReceiver.Delivery> got = receiver.accepted();
            assertEquals(2, got.size(), got.toString());
            assertEquals(2, receiver.deliveries().size(), "nothing was sent twice");
            Map<BigDecimal, JsonNode> byThreshold = new HashMap<>();
            for (WebhookReceiver.Delivery d : got) {
                assertSigned(d);
                assertEquals("cost_alert", d.header(WebhookSignature.EVENT_HEADER));
                JsonNode alert = parse(d.body());
                assertEquals(Set.of("type", "user_id", "project_id", "current_cost", "threshold", "period"), fields(alert));
                assertEquals("cost_alert", alert.path("type").asText());
                assertEquals("day", alert.path("period").asText());
                assertEquals("alerts", alert.path("project_id").asText());
                assertTrue(alert.path("current_cost").decimalValue().compareTo(alert.path("threshold").decimalValue()) >= 0, d.body());
                byThreshold.put(alert.path("threshold").decimalValue().setScale(8), alert);
            }
            assertEquals("u1", byThreshold.get(requestThreshold).path("user_id").asText());
            assertTrue(byThreshold.get(budgetThreshold).path("user_id").isNull());
        }
    }

    @Test
    void an_alert_answered_500_twice_is_delivered_on_the_third_attempt_with_its_outcome_kept() {
        try (WebhookReceiver receiver = WebhookReceiver.start();
             RunningGateway gateway = RunningGateway.start(settings(TestDatabases.freshPostgres(), receiver, true))) {
            receiver.failNext(2);
            String key = projectKey(gateway, "retry");
            HttpResponse<String> r = gateway.post("/chat/completions",
                    chat("gpt-4o", PROMPT, "{\"budget\":{\"cost_alert_threshold\":0.00000001}}"), key);
            assertEquals(200, r.statusCode(), r.body());
            awaitDelivered(gateway, 1);
            List<WebhookReceiver.Delivery> all = receiver.deliveries();
            assertEquals(List.of(500, 500, 200), all.stream().map(WebhookReceiver.Delivery::answered).toList());
            assertEquals(1, all.stream().map(d -> d.header(WebhookSignature.ID_HEADER)).distinct().count(), "one event, retried");
            all.forEach(CostAlertWebhookTest::assertSigned);
            JsonNode outcome = deliveries(gateway).get(0);
            assertEquals("delivered", outcome.path("status").asText());
            assertEquals(3, outcome.path("attempts").asInt());
            assertEquals(200, outcome.path("last_status").asInt());
        }
    }

    @Test
    void an_alert_written_before_a_restart_is_delivered_after_it() {
        String database = TestDatabases.freshPostgres();
        try (WebhookReceiver receiver = WebhookReceiver.start()) {
            try (RunningGateway before = RunningGateway.start(settings(database, receiver, false))) {
                String key = projectKey(before, "restart");
                HttpResponse<String> r = before.post("/chat/completions",
                        chat("gpt-4o", PROMPT, "{\"budget\":{\"cost_alert_threshold\":0.00000001}}"), key);
                assertEquals(200, r.statusCode(), r.body());
                JsonNode pending = deliveries(before).get(0);
                assertEquals("pending", pending.path("status").asText());
                assertEquals(0, pending.path("attempts").asInt());
            }
            assertEquals(0, receiver.deliveries().size());
            try (RunningGateway after = RunningGateway.start(settings(database, receiver, true))) {
                awaitDelivered(after, 1);
                assertEquals(1, receiver.deliveries().size());
                assertSigned(receiver.deliveries().get(0));
                assertEquals("restart", parse(receiver.deliveries().get(0).body()).path("project_id").asText());
            }
        }
    }

    /** Waits until the outbox holds {@code n} rows and none is pending. */
    private static void awaitDelivered(RunningGateway gateway, int n) {
        Await.until(() -> {
            List<JsonNode> rows = deliveries(gateway);
            return rows.size() == n && rows.stream().allMatch(d -> "delivered".equals(d.path("status").asText()));
        });
    }

    private static List<JsonNode> deliveries(RunningGateway gateway) {
        HttpResponse<String> r = gateway.get("/webhooks/deliveries", RunningGateway.MASTER_KEY);
        assertEquals(200, r.statusCode(), r.body());
        return StreamSupport.stream(json(r).path("data").spliterator(), false).toList();
    }

    private static void assertSigned(WebhookReceiver.Delivery d) {
        String timestamp = d.header(WebhookSignature.TIMESTAMP_HEADER);
        assertNotNull(timestamp);
        assertTrue(WebhookSignature.verify(SECRET, timestamp, d.body(), d.header(WebhookSignature.SIGNATURE_HEADER),
                Instant.now().getEpochSecond(), 300), "signature of " + d);
        assertTrue(!WebhookSignature.verify("whsec_another_secret_0000", timestamp, d.body(),
                d.header(WebhookSignature.SIGNATURE_HEADER), Instant.now().getEpochSecond(), 300));
    }

    private static Set<String> fields(JsonNode n) {
        Set<String> names = new TreeSet<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static JsonNode parse(String s) {
        try {
            return JSON.readTree(s);
        } catch (java.io.IOException e) {
            throw new AssertionError(s, e);
        }
    }
}
