package ai.infrastack.gateway.bus;

import ai.infrastack.gateway.support.RunningGateway;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static ai.infrastack.gateway.bus.KafkaIngressTest.chat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The RabbitMQ ingress on the real broker (127.0.0.1:5672): the Kafka contract over AMQP, from
 * routes/bus-rabbitmq.yaml alone — request queue, reply-to and correlation-id honoured, refused
 * messages dead-lettered with their reason. The requester is a plain AMQP client.
 */
class RabbitMqIngressTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = RunningGateway.MASTER_KEY;
    private final String exchange = "gw-ingress-" + UUID.randomUUID().toString().substring(0, 8);
    private final String requests = exchange + ".requests";
    private final String deadLetters = exchange + ".dlq";
    private Connection client;
    private Channel ch;
    private RunningGateway gateway;
    private String replies;

    @BeforeEach
    void start() throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost("127.0.0.1");
        try {
            client = factory.newConnection("rabbitmq-ingress-test");
        } catch (IOException e) {
            fail("no RabbitMQ on 127.0.0.1:5672 (start it with: rabbitmq-server -detached)", e);
        }
        ch = client.createChannel();
        replies = ch.queueDeclare().getQueue(); // server-named, exclusive to this client
        gateway = RunningGateway.start(Map.of(
                "gateway.bus.rabbitmq.url", "amqp://guest:guest@127.0.0.1:5672",
                "gateway.bus.rabbitmq.exchange", exchange,
                "gateway.bus.rabbitmq.requests-queue", requests,
                "gateway.bus.rabbitmq.dead-letter-queue", deadLetters,
                "gateway.bus.redelivery-wait-ms", "1000",
                // one consumer: the queue's order is the order of the answers, so the sentinel comes last
                "gateway.bus.rabbitmq.consumers", "1"));
        awaitConsumer();
    }

    @AfterEach
    void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        if (ch != null) {
            ch.queueDelete(requests);
            ch.queueDelete(deadLetters);
            ch.exchangeDelete(exchange);
            ch.exchangeDelete(exchange + ".dlx");
        }
        if (client != null) {
            client.close();
        }
    }

    @Test
    void each_request_is_answered_once_on_its_reply_to_queue_with_its_correlation_id() throws Exception {
        for (int i = 0; i < 5; i++) {
            publish(chat("r-" + i, "gpt-4o-mini"), "corr-" + i, Map.of("Authorization", "Bearer " + KEY));
        }
        publish(chat("r-0", "gpt-4o-mini"), "corr-again", Map.of("Authorization", "Bearer " + KEY)); // redelivered custom_id
        publish("""
                {"custom_id": "env", "requests": [
                  {"custom_id": "e-1", "model": "gpt-4o-mini", "messages": [{"role": "user", "content": "one"}]},
                  {"custom_id": "e-2", "model": "no-such-model", "messages": [{"role": "user", "content": "two"}]}]}""",
                "corr-env", Map.of("Authorization", "Bearer " + KEY));
        publish(chat("sentinel", "gpt-4o-mini"), "corr-sentinel", Map.of("Authorization", "Bearer " + KEY));

        List<GetResponse> answers = new ArrayList<>();
        while (answers.stream().noneMatch(a -> "sentinel".equals(header(a, "x-custom-id")))) {
            answers.add(await(replies));
        }
        Map<String, GetResponse> byCustomId = new HashMap<>();
        answers.forEach(a -> byCustomId.put(header(a, "x-custom-id"), a));
        assertEquals(8, answers.size(), "five, the envelope's two, the sentinel; none for the repeated custom_id");
        for (int i = 0; i < 5; i++) {
            GetResponse a = byCustomId.get("r-" + i);
            assertEquals("corr-" + i, a.getProps().getCorrelationId());
            assertEquals("200", header(a, "x-status"));
            assertTrue(header(a, "x-request-id").startsWith("req_"));
            assertTrue(Double.parseDouble(header(a, "x-cost-usd")) > 0);
            assertEquals("chat.completion", JSON.readTree(a.getBody()).path("object").asText());
        }
        assertEquals("corr-env", byCustomId.get("e-1").getProps().getCorrelationId());
        assertEquals("200", header(byCustomId.get("e-1"), "x-status"));
        assertEquals("404", header(byCustomId.get("e-2"), "x-status"));
        assertEquals("not_found_error", JSON.readTree(byCustomId.get("e-2").getBody()).path("error").path("type").asText());
        assertEquals(7, gateway.sandbox().recorded().size(), "the repeated custom_id was not sent upstream again");
    }

    @Test
    void unparseable_unauthorised_and_expired_messages_are_dead_lettered_with_their_reason() throws Exception {
        publish("{not json", "c-1", Map.of("Authorization", "Bearer " + KEY));
        publish(chat("d-2", "gpt-4o-mini"), "c-2", Map.of("Authorization", "Bearer sk-wrong"));
        publish(chat("d-3", "gpt-4o-mini"), "c-3", Map.of("Authorization", "Bearer " + KEY,
                "x-deadline", Instant.now().minusSeconds(5).toString()));
        publish(chat("after", "gpt-4o-mini"), "c-4", Map.of("Authorization", "Bearer " + KEY));

        Map<String, String> reasons = new HashMap<>();
        for (int i = 0; i < 3; i++) {
            GetResponse dead = await(deadLetters);
            reasons.put(dead.getProps().getCorrelationId(), header(dead, "x-dlq-reason"));
            assertEquals(null, header(dead, "Authorization"), "the key never travels on");
        }
        assertEquals(Map.of("c-1", "unparseable", "c-2", "unauthorized", "c-3", "deadline_exceeded"), reasons);
        GetResponse answer = await(replies);
        assertEquals("c-4", answer.getProps().getCorrelationId());
        assertEquals("200", header(answer, "x-status"));
        assertEquals(0, ch.messageCount(requests), "every request was acknowledged");
    }

    private void publish(String body, String correlationId, Map<String, Object> headers) throws IOException {
        AMQP.BasicProperties props = new AMQP.BasicProperties.Builder().correlationId(correlationId).replyTo(replies)
                .contentType("application/json").headers(headers).build();
        ch.basicPublish(exchange, requests, props, body.getBytes(StandardCharsets.UTF_8));
    }

    private static String header(GetResponse r, String name) {
        Object v = r.getProps().getHeaders() == null ? null : r.getProps().getHeaders().get(name);
        return v == null ? null : v.toString();
    }

    private GetResponse await(String queue) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            GetResponse r = ch.basicGet(queue, true);
            if (r != null) {
                return r;
            }
            Thread.sleep(20);
        }
        fail("nothing arrived on " + queue + " in 30 s");
        return null;
    }

    /** The gateway declares the queue as its consumer starts. */
    private void awaitConsumer() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            try (Channel probe = client.createChannel()) {
                if (probe.consumerCount(requests) > 0) {
                    return;
                }
            } catch (IOException notDeclaredYet) {
                // asking about a missing queue closes the probe's channel
            }
            Thread.sleep(50);
        }
        fail("no consumer on " + requests);
    }
}
