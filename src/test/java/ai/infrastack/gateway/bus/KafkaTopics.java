package ai.infrastack.gateway.bus;

import ai.infrastack.gateway.support.KafkaBroker;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * A test's own set of bus topics on the shared broker (unique names, so tests never read each
 * other's messages), with a plain Kafka producer and consumer as a customer's pipeline would use.
 */
final class KafkaTopics implements AutoCloseable {
    final KafkaBroker broker = KafkaBroker.shared();
    final String prefix = "t" + UUID.randomUUID().toString().substring(0, 8);
    final String requests = prefix + ".requests";
    final String results = prefix + ".results";
    final String deadLetters = prefix + ".dlq";
    final String usage = prefix + ".usage";
    final String group = prefix + ".gateway";
    private final KafkaProducer<String, String> producer;

    KafkaTopics(int requestPartitions) {
        broker.createTopic(requests, requestPartitions);
        for (String t : List.of(results, deadLetters, usage)) {
            broker.createTopic(t, 1);
        }
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.LINGER_MS_CONFIG, 5), new StringSerializer(), new StringSerializer());
    }

    /**
     * Waits until the gateways' consumer group has {@code members} members, each assigned partitions of
     * the request topic: messages produced before a late member joins would all go to the first one.
     */
    void awaitGroupMembers(int members) throws Exception {
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
        try (org.apache.kafka.clients.admin.Admin admin = broker.admin()) {
            while (System.nanoTime() < deadline) {
                var group = admin.describeConsumerGroups(List.of(this.group)).all().get().get(this.group);
                if (group.members().size() == members
                        && group.members().stream().allMatch(m -> !m.assignment().topicPartitions().isEmpty())) {
                    return;
                }
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("the consumer group " + group + " never had " + members + " members with partitions");
    }

    /** The gateway's settings for these topics (group, topics, brokers). */
    Map<String, String> gatewaySettings() {
        Map<String, String> s = new HashMap<>();
        s.put("gateway.bus.kafka.brokers", broker.bootstrapServers());
        s.put("gateway.bus.kafka.requests-topic", requests);
        s.put("gateway.bus.kafka.results-topic", results);
        s.put("gateway.bus.kafka.dead-letter-topic", deadLetters);
        s.put("gateway.bus.kafka.usage-topic", usage);
        s.put("gateway.bus.kafka.group-id", group);
        s.put("gateway.bus.redelivery-wait-ms", "1000");
        return s;
    }

    void send(String key, String body, Map<String, String> headers) {
        ProducerRecord<String, String> r = new ProducerRecord<>(requests, key, body);
        headers.forEach((k, v) -> r.headers().add(k, v.getBytes(StandardCharsets.UTF_8)));
        try {
            producer.send(r).get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads the topic from the start until {@code done} holds for what was read, or 60 s pass. */
    List<ConsumerRecord<String, String>> read(String topic, Predicate<List<ConsumerRecord<String, String>>> done) {
        return read(topic, done, Duration.ofSeconds(60));
    }

    List<ConsumerRecord<String, String>> read(String topic, Predicate<List<ConsumerRecord<String, String>>> done, Duration within) {
        List<ConsumerRecord<String, String>> seen = new ArrayList<>();
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new StringDeserializer(), new StringDeserializer())) {
            c.subscribe(List.of(topic));
            long deadline = System.nanoTime() + within.toNanos();
            while (!done.test(seen) && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(seen::add);
            }
        }
        return seen;
    }

    /** What is on the topic after the gateway had time to add more (for "nothing else arrived"). */
    List<ConsumerRecord<String, String>> readAll(String topic, Duration settle) {
        return read(topic, s -> false, settle);
    }

    static String header(ConsumerRecord<?, ?> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        producer.close();
    }
}
