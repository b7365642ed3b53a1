package ai.infrastack.gateway.bus;

import ai.infrastack.gateway.support.KafkaBroker;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.component.kafka.consumer.KafkaManualCommit;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.test.junit5.CamelTestSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * camel-kafka 4.18 (kafka-clients 3.9.1) on a real Kafka 4.3 broker: the consumer-group behaviour
 * the Kafka ingress relies on. What these tests establish:
 * <ul>
 * <li>Commit after processing: {@code autoCommitEnable=false&allowManualCommit=true}, then
 *     {@code commit()} on the {@code CamelKafkaManualCommit} header once the result is produced. It is
 *     a synchronous commitSync of that record's offset + 1. With no {@code kafkaManualCommitFactory}
 *     set, the consumer's own commit manager is a no-op: nothing else commits (not on stop, not on
 *     rebalance), so whatever was not committed is delivered again to the group.</li>
 * <li>{@code breakOnFirstError=true}: a record whose exchange fails makes the consumer unsubscribe
 *     and re-join, resuming at the last committed offset, so that record is retried (forever, while it
 *     fails) before any later one; every failure costs the group a rebalance. Bad messages are
 *     therefore the route's to handle (dead-letter topic), not the consumer's.</li>
 * <li>Camel headers travel as Kafka record headers; the consumer reads them as {@code byte[]}
 *     unless {@code headerDeserializer} is {@code ToStringKafkaHeaderDeserializer}.</li>
 * </ul>
 */
class KafkaConsumerGroupTest extends CamelTestSupport {
    private static KafkaBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = KafkaBroker.shared();
    }

    @Test
    void a_produced_message_reaches_the_group_with_its_key_and_headers() throws Exception {
        String topic = unique("round-trip");
        MockEndpoint received = getMockEndpoint("mock:received");
        received.expectedBodiesReceived("{\"custom_id\":\"item-1\"}");
        received.expectedHeaderReceived(KafkaConstants.KEY, "item-1");
        received.expectedHeaderReceived("x-gateway-key", "sk-test-key");
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from(consumer(topic, unique("group"))).to("mock:received");
            }
        });

        template.sendBodyAndHeaders(producer(topic), "{\"custom_id\":\"item-1\"}",
                Map.of(KafkaConstants.KEY, "item-1", "x-gateway-key", "sk-test-key"));

        received.assertIsSatisfied(TimeUnit.SECONDS.toMillis(60));
    }

    @Test
    void only_the_manual_commit_after_processing_moves_the_group_and_the_rest_is_delivered_again() throws Exception {
        String topic = unique("manual-commit");
        String group = unique("group");
        template.sendBody(producer(topic), "a");
        template.sendBody(producer(topic), "b");
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        MockEndpoint processed = getMockEndpoint("mock:processed");
        processed.expectedBodiesReceived("a", "b");
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from(consumer(topic, group)).routeId("worker")
                        .process(e -> {
                            String body = e.getMessage().getBody(String.class);
                            seen.add(body);
                            // "b" stands for a message whose result was never produced (the instance died)
                            if (!"b".equals(body)) {
                                commit(e);
                            }
                        })
                        .to("mock:processed");
            }
        });
        processed.assertIsSatisfied(TimeUnit.SECONDS.toMillis(60));
        assertEquals(1, committedOffset(group, topic), "committed past \"a\" only");

        context.getRouteController().stopRoute("worker");
        processed.reset();
        processed.expectedBodiesReceived("b");
        context.getRouteController().startRoute("worker");

        processed.assertIsSatisfied(TimeUnit.SECONDS.toMillis(60));
        assertEquals(List.of("a", "b", "b"), seen);
        assertEquals(1, committedOffset(group, topic), "stopping the consumer committed nothing");
    }

    @Test
    void with_break_on_first_error_a_failed_record_is_retried_before_the_next_one() throws Exception {
        String topic = unique("break-on-error");
        String group = unique("group");
        for (String body : List.of("a", "b", "c")) {
            template.sendBody(producer(topic), body);
        }
        AtomicInteger attemptsOfB = new AtomicInteger();
        MockEndpoint processed = getMockEndpoint("mock:processed");
        processed.expectedBodiesReceived("a", "b", "c");
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                errorHandler(noErrorHandler());
                from(consumer(topic, group) + "&breakOnFirstError=true")
                        .process(e -> {
                            if ("b".equals(e.getMessage().getBody(String.class)) && attemptsOfB.incrementAndGet() == 1) {
                                throw new IllegalStateException("simulated failure of the first attempt");
                            }
                            commit(e);
                        })
                        .to("mock:processed");
            }
        });

        processed.assertIsSatisfied(TimeUnit.SECONDS.toMillis(60));
        assertEquals(2, attemptsOfB.get());
        assertEquals(3, committedOffset(group, topic));
    }

    @Test
    void two_consumers_in_one_group_split_the_partitions() throws Exception {
        String topic = unique("split");
        String group = unique("group");
        broker.createTopic(topic, 2);
        MockEndpoint all = getMockEndpoint("mock:all");
        all.expectedMessageCount(20);
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                // two routes on one group stand for two gateway instances
                from(consumer(topic, group)).routeId("instance-1").setHeader("instance", constant("1")).to("mock:all");
                from(consumer(topic, group)).routeId("instance-2").setHeader("instance", constant("2")).to("mock:all");
            }
        });
        awaitOnePartitionEach(group, 2);

        for (int i = 0; i < 20; i++) {
            template.sendBodyAndHeaders(producer(topic), "m" + i,
                    Map.of(KafkaConstants.PARTITION_KEY, i % 2, KafkaConstants.KEY, "k" + i));
        }

        all.assertIsSatisfied(TimeUnit.SECONDS.toMillis(60));
        Map<String, Set<Integer>> partitionsByInstance = all.getReceivedExchanges().stream().collect(Collectors.groupingBy(
                e -> e.getMessage().getHeader("instance", String.class),
                Collectors.mapping(e -> e.getMessage().getHeader(KafkaConstants.PARTITION, Integer.class), Collectors.toSet())));
        assertEquals(Set.of("1", "2"), partitionsByInstance.keySet(), "both instances got work");
        assertEquals(1, partitionsByInstance.get("1").size());
        assertEquals(1, partitionsByInstance.get("2").size());
        assertNotEquals(partitionsByInstance.get("1"), partitionsByInstance.get("2"));
        Set<String> bodies = new HashSet<>(all.getReceivedExchanges().stream().map(e -> e.getMessage().getBody(String.class)).toList());
        assertEquals(IntStream.range(0, 20).mapToObj(i -> "m" + i).collect(Collectors.toSet()), bodies, "none lost, none twice");
    }

    private static String consumer(String topic, String group) {
        return "kafka:" + topic + "?brokers=" + broker.bootstrapServers() + "&groupId=" + group
                + "&autoOffsetReset=earliest&autoCommitEnable=false&allowManualCommit=true"
                // a stopping consumer waits out its current poll: 500 ms, not the default 5 s
                + "&pollTimeoutMs=500"
                + "&headerDeserializer=#class:org.apache.camel.component.kafka.serde.ToStringKafkaHeaderDeserializer";
    }

    private static String producer(String topic) {
        return "kafka:" + topic + "?brokers=" + broker.bootstrapServers();
    }

    private static void commit(Exchange exchange) {
        exchange.getMessage().getHeader(KafkaConstants.MANUAL_COMMIT, KafkaManualCommit.class).commit();
    }

    private static long committedOffset(String group, String topic) throws Exception {
        try (Admin admin = broker.admin()) {
            OffsetAndMetadata committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                    .get(30, TimeUnit.SECONDS).get(new TopicPartition(topic, 0));
            return committed == null ? -1 : committed.offset();
        }
    }

    /** Waits until the group has {@code members} members holding one partition each. */
    private static void awaitOnePartitionEach(String group, int members) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        try (Admin admin = broker.admin()) {
            while (System.nanoTime() < deadline) {
                ConsumerGroupDescription description = admin.describeConsumerGroups(List.of(group))
                        .describedGroups().get(group).get(30, TimeUnit.SECONDS);
                List<MemberDescription> current = new ArrayList<>(description.members());
                if (current.size() == members
                        && current.stream().allMatch(m -> m.assignment().topicPartitions().size() == 1)) {
                    return;
                }
                Thread.sleep(200);
            }
        }
        fail("group " + group + " did not settle on " + members + " members with one partition each");
    }

    private static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
