package ai.infrastack.gateway.bus;

import ai.infrastack.gateway.support.RunningGateway;
import ai.infrastack.gateway.support.TestDatabases;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

import static ai.infrastack.gateway.bus.KafkaTopics.header;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Kafka ingress on a real broker: chat requests in from the requests topic through the same
 * pipeline as HTTP, one result each on the results topic, refused messages on the dead-letter
 * topic, usage events beside the request log.
 */
class KafkaIngressTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = RunningGateway.MASTER_KEY;
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    @Test
    void each_request_gets_one_result_keyed_by_its_correlation_id_and_a_usage_event_per_request_log_row() throws Exception {
        KafkaTopics topics = topics(3);
        String db = TestDatabases.freshPostgres();
        gateway(topics, Map.of("gateway.database.url", db));

        for (int i = 0; i < 30; i++) {
            Map<String, String> headers = new HashMap<>(auth(KEY));
            if (i % 3 == 0) {
                headers.put("x-correlation-id", "corr-" + i);
            }
            topics.send(i % 3 == 1 ? "record-key-" + i : null, chat("item-" + i, "gpt-4o-mini"), headers);
        }

        List<ConsumerRecord<String, String>> results = topics.read(topics.results, r -> r.size() >= 30);
        Map<String, ConsumerRecord<String, String>> byCustomId = byHeader(results, "x-custom-id");
        assertEquals(30, results.size());
        assertEquals(30, byCustomId.size(), "one result per custom_id");
        for (int i = 0; i < 30; i++) {
            ConsumerRecord<String, String> r = byCustomId.get("item-" + i);
            // The correlation id: its header, else the record's key, else the custom_id.
            assertEquals(i % 3 == 0 ? "corr-" + i : i % 3 == 1 ? "record-key-" + i : "item-" + i, r.key());
            assertEquals("200", header(r, "x-status"), r.value());
            assertTrue(header(r, "x-request-id").startsWith("req_"));
            assertTrue(Double.parseDouble(header(r, "x-cost-usd")) > 0, "cost in headers");
            assertEquals("chat.completion", JSON.readTree(r.value()).path("object").asText());
            assertEquals(null, header(r, "Authorization"), "the key never travels on");
        }

        // Usage events: one per request-log row, with the row's request id as event id.
        Set<String> logged = awaitRequestLog(db, 30);
        List<ConsumerRecord<String, String>> events = topics.read(topics.usage, r -> r.size() >= 30);
        Set<String> eventIds = new HashSet<>();
        for (ConsumerRecord<String, String> e : events) {
            JsonNode event = JSON.readTree(e.value());
            eventIds.add(event.path("event_id").asText());
            assertEquals(event.path("request_id").asText(), event.path("event_id").asText());
            assertTrue(event.path("total_cost").decimalValue().signum() > 0);
        }
        assertEquals(30, events.size());
        assertEquals(logged, eventIds);
        assertEquals(results.stream().map(r -> header(r, "x-request-id")).collect(Collectors.toSet()), logged);
    }

    @Test
    void poison_unauthorised_and_expired_messages_are_dead_lettered_with_a_reason_and_the_consumer_moves_on() throws Exception {
        KafkaTopics topics = topics(1);
        gateway(topics, Map.of());

        topics.send("k1", "{not json", auth(KEY));
        topics.send("k2", chat("no-key", "gpt-4o-mini"), Map.of());
        topics.send("k3", chat("bad-key", "gpt-4o-mini"), auth("sk-not-a-key"));
        topics.send("k4", chat("late", "gpt-4o-mini"), Map.of("Authorization", "Bearer " + KEY,
                "x-deadline", Instant.now().minusSeconds(1).toString()));
        topics.send("k5", "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", auth(KEY));
        topics.send("k6", chat("after-them", "gpt-4o-mini"), Map.of("Authorization", "Bearer " + KEY,
                "x-deadline", String.valueOf(Instant.now().plusSeconds(600).toEpochMilli())));

        List<ConsumerRecord<String, String>> dead = topics.read(topics.deadLetters, r -> r.size() >= 5);
        Map<String, String> reasons = dead.stream().collect(Collectors.toMap(ConsumerRecord::key, r -> header(r, "x-dlq-reason")));
        assertEquals(Map.of("k1", "unparseable", "k2", "unauthorized", "k3", "unauthorized", "k4", "deadline_exceeded",
                "k5", "missing_custom_id"), reasons);
        ConsumerRecord<String, String> poison = dead.stream().filter(r -> r.key().equals("k1")).findFirst().orElseThrow();
        assertEquals("{not json", poison.value(), "the message as it came");
        assertTrue(dead.stream().allMatch(r -> header(r, "Authorization") == null), "the key never travels on");

        List<ConsumerRecord<String, String>> results = topics.read(topics.results, r -> !r.isEmpty());
        assertEquals(List.of("after-them"), results.stream().map(r -> header(r, "x-custom-id")).toList());
        assertEquals("200", header(results.get(0), "x-status"));
    }

    @Test
    void a_redelivered_message_is_answered_once_and_never_sent_upstream_again() throws Exception {
        KafkaTopics topics = topics(1);
        RunningGateway gateway = gateway(topics, Map.of());

        topics.send("k", chat("once", "gpt-4o-mini"), auth(KEY));
        topics.send("k", chat("once", "gpt-4o-mini"), auth(KEY)); // the same key + custom_id again
        topics.send("k", chat("sentinel", "gpt-4o-mini"), auth(KEY));

        List<ConsumerRecord<String, String>> results = topics.read(topics.results,
                r -> r.stream().anyMatch(x -> "sentinel".equals(header(x, "x-custom-id"))));
        assertEquals(List.of("once", "sentinel"), results.stream().map(r -> header(r, "x-custom-id")).toList());
        assertEquals(2, gateway.sandbox().recorded().size(), "one upstream call per custom_id");
    }

    @Test
    void a_key_refused_by_the_pipeline_gets_an_error_result_not_a_silent_drop() throws Exception {
        KafkaTopics topics = topics(1);
        RunningGateway gateway = gateway(topics, Map.of());
        String limited = createKey(gateway, "{\"allowed_models\": [\"gpt-4o-mini\"]}");

        topics.send("k", chat("not-allowed", "gpt-4o"), auth(limited));
        topics.send("k", chat("allowed", "gpt-4o-mini"), auth(limited));

        Map<String, ConsumerRecord<String, String>> results = byHeader(topics.read(topics.results, r -> r.size() >= 2), "x-custom-id");
        ConsumerRecord<String, String> refused = results.get("not-allowed");
        assertEquals("403", header(refused, "x-status"));
        assertEquals("permission_error", JSON.readTree(refused.value()).path("error").path("type").asText());
        assertNotNull(header(refused, "x-request-id"));
        assertEquals("200", header(results.get("allowed"), "x-status"));
    }

    @Test
    void a_key_over_its_budget_gets_a_budget_error_result_not_a_silent_drop() throws Exception {
        KafkaTopics topics = topics(1);
        RunningGateway gateway = gateway(topics, Map.of());
        String pinned = createKey(gateway, "{\"tier\": \"pro\", \"project_id\": \"bus-broke\"}");
        var budget = gateway.post("/budgets", "{\"project_id\": \"bus-broke\", \"period\": \"day\", \"limit\": 0.0000001}",
                RunningGateway.MASTER_KEY);
        assertEquals(200, budget.statusCode(), budget.body());

        topics.send("b", chat("over-budget", "gpt-4o"), auth(pinned));

        ConsumerRecord<String, String> refused = byHeader(topics.read(topics.results, r -> r.size() >= 1), "x-custom-id").get("over-budget");
        assertEquals("402", header(refused, "x-status"), refused.value());
        assertEquals("budget_exceeded", JSON.readTree(refused.value()).path("error").path("code").asText(), refused.value());
        assertNotNull(header(refused, "x-request-id"));
        assertEquals(0, gateway.sandbox().recorded().size(), "refused before any upstream call");
    }

    @Test
    void a_batch_envelope_gets_one_result_per_item_and_a_reply_topic_header_redirects_them() throws Exception {
        KafkaTopics topics = topics(1);
        gateway(topics, Map.of());
        String replies = topics.prefix + ".replies";
        topics.broker.createTopic(replies, 1);

        topics.send(null, """
                {"custom_id": "batch-1", "requests": [
                  {"custom_id": "b-1", "model": "gpt-4o-mini", "messages": [{"role": "user", "content": "one"}]},
                  {"custom_id": "b-2", "model": "claude-3-haiku", "messages": [{"role": "user", "content": "two"}], "max_tokens": 50},
                  {"custom_id": "b-3", "model": "no-such-model", "messages": [{"role": "user", "content": "three"}]}
                ]}""", Map.of("Authorization", "Bearer " + KEY, "x-reply-topic", replies));

        List<ConsumerRecord<String, String>> results = topics.read(replies, r -> r.size() >= 3);
        assertEquals(List.of("b-1", "b-2", "b-3"), results.stream().map(r -> header(r, "x-custom-id")).toList());
        assertTrue(results.stream().allMatch(r -> "batch-1".equals(r.key())), "keyed by the envelope's correlation id");
        assertEquals(List.of("200", "200", "404"), results.stream().map(r -> header(r, "x-status")).toList());
    }

    @Test
    void two_instances_in_one_group_split_the_partitions_and_answer_each_message_once() throws Exception {
        KafkaTopics topics = topics(4);
        String db = TestDatabases.freshPostgres();
        Map<String, String> oneConsumerEach = Map.of("gateway.database.url", db, "gateway.bus.kafka.consumers", "1");
        RunningGateway first = gateway(topics, oneConsumerEach);
        RunningGateway second = gateway(topics, oneConsumerEach);
        topics.awaitGroupMembers(2);

        for (int i = 0; i < 100; i++) {
            topics.send("p" + i, chat("split-" + i, "gpt-4o-mini"), auth(KEY));
        }

        List<ConsumerRecord<String, String>> results = topics.read(topics.results, r -> r.size() >= 100);
        assertEquals(100, byHeader(results, "x-custom-id").size());
        int byFirst = first.sandbox().recorded().size();
        int bySecond = second.sandbox().recorded().size();
        assertEquals(100, byFirst + bySecond, "each message called upstream once");
        assertTrue(byFirst > 0 && bySecond > 0, "both instances took a share: " + byFirst + " / " + bySecond);
        assertEquals(100, topics.readAll(topics.results, Duration.ofSeconds(2)).size(), "and no result twice");
    }

    // --- helpers

    private KafkaTopics topics(int partitions) {
        KafkaTopics topics = new KafkaTopics(partitions);
        open.add(topics);
        return topics;
    }

    private RunningGateway gateway(KafkaTopics topics, Map<String, String> overrides) {
        Map<String, String> settings = topics.gatewaySettings();
        settings.putAll(overrides);
        RunningGateway g = RunningGateway.start(settings);
        open.add(g);
        return g;
    }

    static Map<String, String> auth(String key) {
        return Map.of("Authorization", "Bearer " + key);
    }

    static String chat(String customId, String model) {
        return "{\"custom_id\":\"" + customId + "\",\"model\":\"" + model
                + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello to " + customId + "\"}]}";
    }

    static Map<String, ConsumerRecord<String, String>> byHeader(List<ConsumerRecord<String, String>> records, String name) {
        return records.stream().collect(Collectors.toMap(r -> header(r, name), Function.identity(), (a, b) -> a));
    }

    static String createKey(RunningGateway gateway, String body) throws Exception {
        var created = gateway.post("/keys", body, RunningGateway.MASTER_KEY);
        assertEquals(201, created.statusCode(), created.body());
        return JSON.readTree(created.body()).path("key").asText();
    }

    /** The request ids of the request log, once it holds {@code rows} rows (it is written in batches). */
    static Set<String> awaitRequestLog(String jdbc, int rows) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        Set<String> ids = new HashSet<>();
        while (System.nanoTime() < deadline) {
            ids.clear();
            try (Connection c = DriverManager.getConnection(jdbc); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT request_id FROM request_log")) {
                while (rs.next()) {
                    ids.add(rs.getString(1));
                }
            }
            if (ids.size() >= rows) {
                return ids;
            }
            Thread.sleep(100);
        }
        return ids;
    }
}
