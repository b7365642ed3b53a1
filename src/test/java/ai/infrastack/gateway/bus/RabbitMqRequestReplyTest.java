package ai.infrastack.gateway.bus;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import org.apache.camel.ExchangePattern;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.spi.Registry;
import org.apache.camel.test.junit5.CamelTestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * RabbitMQ (AMQP 0-9-1, the broker on 127.0.0.1:5672) through camel-spring-rabbitmq under plain
 * camel-main — no Spring context: the component only needs a Spring {@code ConnectionFactory} in
 * the registry. The requester is a plain AMQP client, as a customer's would be. Facts established:
 * <ul>
 * <li>the consumer answers a message that has {@code reply-to} on that queue, with the request's
 *     {@code correlation-id}, once the route succeeds (and only then);</li>
 * <li>{@code deadLetterExchange/Queue/RoutingKey} declare the dead-letter queue and bind the request
 *     queue to it; a failed exchange is rejected without requeue ({@code maximumRetryAttempts=1}: no
 *     in-process retries; the default is 5 attempts 1 s apart) and the broker moves it there with
 *     {@code x-death} reason {@code rejected};</li>
 * <li>a reason of our own in a header needs the route to publish the copy itself, with
 *     {@code InOnly}: the exchange is InOut when the request has a reply-to, and an InOut send to
 *     RabbitMQ would wait for a reply.</li>
 * </ul>
 */
class RabbitMqRequestReplyTest extends CamelTestSupport {
    private static final String HOST = "127.0.0.1";
    private static Connection client;
    private static CachingConnectionFactory connections;

    private final String exchange = unique("gw-test");
    private final String queue = exchange + ".requests";
    private final String deadLetterExchange = exchange + ".dlx";
    private final String deadLetterQueue = exchange + ".dlq";

    @BeforeAll
    static void connect() throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost(HOST); // guest/guest on 5672
        try {
            client = factory.newConnection("rabbitmq-test-client");
        } catch (IOException e) {
            fail("no RabbitMQ on " + HOST + ":5672 (start it with: rabbitmq-server -detached)", e);
        }
        connections = new CachingConnectionFactory(HOST, 5672);
    }

    @AfterAll
    static void disconnect() throws Exception {
        connections.destroy();
        client.close();
    }

    @Override
    protected void bindToRegistry(Registry registry) {
        registry.bind("rabbitConnections", connections);
    }

    @AfterEach
    void deleteTopology() throws Exception {
        context.stop();
        try (Channel ch = client.createChannel()) {
            for (String q : List.of(queue, deadLetterQueue)) {
                ch.queueDelete(q);
            }
            for (String x : List.of(exchange, deadLetterExchange)) {
                ch.exchangeDelete(x);
            }
        }
    }

    @Test
    void each_request_is_answered_on_its_reply_to_queue_with_its_correlation_id() throws Exception {
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from(requests()).setBody(simple("answer to ${body}"));
            }
        });
        try (Channel ch = client.createChannel()) {
            awaitConsumer(queue);
            String replyQueue = ch.queueDeclare().getQueue(); // server-named, exclusive to this client

            publish(ch, "first", "corr-1", replyQueue);
            publish(ch, "second", "corr-2", replyQueue);

            GetResponse one = awaitMessage(ch, replyQueue);
            GetResponse two = awaitMessage(ch, replyQueue);
            Map<String, String> answers = Map.of(
                    one.getProps().getCorrelationId(), new String(one.getBody(), StandardCharsets.UTF_8),
                    two.getProps().getCorrelationId(), new String(two.getBody(), StandardCharsets.UTF_8));
            assertEquals(Map.of("corr-1", "answer to first", "corr-2", "answer to second"), answers);
        }
    }

    @Test
    void a_request_whose_processing_fails_is_dead_lettered_by_the_broker_and_not_answered() throws Exception {
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from(requests()).process(e -> {
                    throw new IllegalStateException("simulated failure");
                });
            }
        });
        try (Channel ch = client.createChannel()) {
            awaitConsumer(queue);
            String replyQueue = ch.queueDeclare().getQueue();

            publish(ch, "poison", "corr-3", replyQueue);

            GetResponse dead = awaitMessage(ch, deadLetterQueue);
            assertEquals("poison", new String(dead.getBody(), StandardCharsets.UTF_8));
            assertEquals("corr-3", dead.getProps().getCorrelationId());
            @SuppressWarnings("unchecked")
            Map<String, Object> death = ((List<Map<String, Object>>) dead.getProps().getHeaders().get("x-death")).get(0);
            assertEquals("rejected", death.get("reason").toString());
            assertEquals(queue, death.get("queue").toString());
            assertEquals(0, ch.messageCount(replyQueue), "a failed request gets no answer");
        }
    }

    @Test
    void a_refused_request_is_dead_lettered_with_its_reason_and_the_requester_gets_an_error_answer() throws Exception {
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                onException(IllegalArgumentException.class).handled(true)
                        .setHeader("x-gateway-dlq-reason", simple("${exception.message}"))
                        .to(ExchangePattern.InOnly, "spring-rabbitmq:" + deadLetterExchange + "?routingKey=" + deadLetterQueue)
                        .setBody(simple("{\"error\":{\"code\":\"${exception.message}\"}}"));
                from(requests()).process(e -> {
                    throw new IllegalArgumentException("invalid_api_key");
                });
            }
        });
        try (Channel ch = client.createChannel()) {
            awaitConsumer(queue);
            String replyQueue = ch.queueDeclare().getQueue();

            publish(ch, "{\"custom_id\":\"item-9\"}", "corr-4", replyQueue);

            GetResponse answer = awaitMessage(ch, replyQueue);
            assertEquals("corr-4", answer.getProps().getCorrelationId());
            assertEquals("{\"error\":{\"code\":\"invalid_api_key\"}}", new String(answer.getBody(), StandardCharsets.UTF_8));
            GetResponse dead = awaitMessage(ch, deadLetterQueue);
            assertEquals("{\"custom_id\":\"item-9\"}", new String(dead.getBody(), StandardCharsets.UTF_8));
            assertEquals("invalid_api_key", dead.getProps().getHeaders().get("x-gateway-dlq-reason").toString());
            assertEquals(0, ch.messageCount(queue), "the request was acknowledged, not left for redelivery");
        }
    }

    /** The request queue, declared by the consumer with its dead-letter exchange and queue. */
    private String requests() {
        return "spring-rabbitmq:" + exchange + "?queues=" + queue + "&routingKey=" + queue
                + "&deadLetterExchange=" + deadLetterExchange + "&deadLetterQueue=" + deadLetterQueue
                + "&deadLetterRoutingKey=" + deadLetterQueue + "&maximumRetryAttempts=1";
    }

    private void publish(Channel ch, String body, String correlationId, String replyTo) throws Exception {
        AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
                .correlationId(correlationId).replyTo(replyTo).contentType("application/json").build();
        ch.basicPublish(exchange, queue, props, body.getBytes(StandardCharsets.UTF_8));
    }

    /** Waits for the route's consumer; each probe has its own channel, as asking about a missing queue closes it. */
    private static void awaitConsumer(String queue) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            try (Channel probe = client.createChannel()) {
                if (probe.consumerCount(queue) > 0) {
                    return;
                }
            } catch (IOException notDeclaredYet) {
                // the listener container declares it as it starts
            }
            Thread.sleep(50);
        }
        fail("no consumer on " + queue + " after 30 s");
    }

    private static GetResponse awaitMessage(Channel ch, String queue) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            GetResponse r = ch.basicGet(queue, true);
            if (r != null) {
                return r;
            }
            Thread.sleep(50);
        }
        fail("nothing arrived on " + queue + " in 30 s");
        return null;
    }

    private static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
