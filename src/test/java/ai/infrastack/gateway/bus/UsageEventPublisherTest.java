package ai.infrastack.gateway.bus;

import ai.infrastack.gateway.analytics.RequestRecord;
import ai.infrastack.gateway.analytics.UsageRecorder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Usage events beside the request log: the row as JSON, keyed by project, the request id as the
 * event id; a broker outage is waited out in a bounded buffer, and what does not fit is counted.
 */
class UsageEventPublisherTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final DefaultCamelContext context = new DefaultCamelContext();

    @Test
    void a_request_log_row_becomes_an_event_keyed_by_project_with_the_request_id_as_event_id() throws Exception {
        MockProducer<String, String> kafka = new MockProducer<>(true, null, new StringSerializer(), new StringSerializer());
        try (UsageEventPublisher publisher = new UsageEventPublisher(JSON, "usage", 10, kafka)) {
            publisher.process(exchange("req_1"));
            awaitTrue(() -> kafka.history().size() == 1);
            assertEquals("project_x", kafka.history().get(0).key());
            JsonNode event = JSON.readTree(kafka.history().get(0).value());
            assertEquals("req_1", event.path("event_id").asText());
            assertEquals("req_1", event.path("request_id").asText());
            assertEquals(new BigDecimal("0.00042"), event.path("total_cost").decimalValue());
            assertEquals(120, event.path("prompt_tokens").asLong());
        }
    }

    @Test
    void events_wait_out_a_broker_outage_in_a_bounded_buffer_and_what_does_not_fit_is_counted() throws Exception {
        MockProducer<String, String> kafka = new MockProducer<>(true, null, new StringSerializer(), new StringSerializer());
        kafka.sendException = new TimeoutException("broker unreachable"); // every send fails while it is down
        try (UsageEventPublisher publisher = new UsageEventPublisher(JSON, "usage", 2, kafka)) {
            publisher.process(exchange("req_1"));
            awaitTrue(() -> publisher.pending() == 0); // the sender holds it, retrying
            publisher.process(exchange("req_2"));
            publisher.process(exchange("req_3"));
            publisher.process(exchange("req_4")); // the buffer (2) is full
            assertEquals(1, publisher.dropped());

            kafka.sendException = null; // the broker is back
            awaitTrue(() -> kafka.history().size() == 3);
            assertEquals(java.util.List.of("req_1", "req_2", "req_3"),
                    kafka.history().stream().map(r -> r.value().replaceAll(".*\"event_id\":\"([^\"]+)\".*", "$1")).toList());
            assertEquals(1, publisher.dropped());
        }
    }

    private Exchange exchange(String requestId) {
        Exchange e = new DefaultExchange(context);
        e.setProperty(UsageRecorder.RECORD, new RequestRecord(requestId, Instant.now(), "key_1", "user_1", "project_x", null,
                "gpt-4o-mini", "gpt-4o-mini", "openai", 200, null, 120, 30, 0,
                new BigDecimal("0.00018"), new BigDecimal("0.00024"), new BigDecimal("0.00042"), 12, null, false, false,
                null, false, null));
        return e;
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "condition not met in 10 s");
            Thread.sleep(10);
        }
    }
}
