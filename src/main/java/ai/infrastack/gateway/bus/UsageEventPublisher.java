package ai.infrastack.gateway.bus;

import ai.infrastack.gateway.analytics.RequestRecord;
import ai.infrastack.gateway.analytics.UsageRecorder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Analytics step: each request-log row also goes to the usage-events topic as JSON, keyed by
 * project, with the request id as {@code event_id} so a consumer can deduplicate. The request
 * never waits for Kafka: rows wait in a bounded buffer, sent by a thread of their own through an
 * idempotent producer that retries through a broker outage; a row that finds the buffer full is
 * dropped, counted and logged — as the request log does without its journal.
 */
public final class UsageEventPublisher implements Processor, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(UsageEventPublisher.class);
    private static final long RETRY_MS = 500;
    private final ObjectMapper mapper;
    private final String topic;
    private final Producer<String, String> producer;
    private final BlockingQueue<ProducerRecord<String, String>> buffer;
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final Thread sender;
    private volatile boolean running = true;

    public UsageEventPublisher(ObjectMapper mapper, String brokers, String topic, int capacity) {
        this(mapper, topic, capacity, new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers,
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.ACKS_CONFIG, "all",
                // An outage of any length is waited out by the producer itself; its own buffer is
                // bounded by buffer.memory, after which send() waits here, on the sender thread.
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.MAX_VALUE,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000,
                ProducerConfig.LINGER_MS_CONFIG, 5,
                ProducerConfig.CLIENT_ID_CONFIG, "llm-gateway-usage-events"), new StringSerializer(), new StringSerializer()));
    }

    UsageEventPublisher(ObjectMapper mapper, String topic, int capacity, Producer<String, String> producer) {
        this.mapper = mapper;
        this.topic = topic;
        this.producer = producer;
        this.buffer = new ArrayBlockingQueue<>(capacity);
        this.sender = Thread.ofPlatform().daemon().name("usage-event-sender").start(this::run);
    }

    /** Never fails the request it records: an event that cannot be made or kept is counted as dropped. */
    @Override
    public void process(Exchange exchange) {
        RequestRecord r = exchange.getProperty(UsageRecorder.RECORD, RequestRecord.class);
        if (r == null) {
            return; // no request-log row (a request refused for its key): no event either
        }
        try {
            if (!buffer.offer(new ProducerRecord<>(topic, r.projectId(), mapper.writeValueAsString(event(r))))) {
                lost(1);
            }
        } catch (JsonProcessingException | RuntimeException e) {
            LOG.error("Usage event for {} not made: {}", r.requestId(), e.getMessage());
            lost(1);
        }
    }

    /** The request-log row as JSON, field for field, with its request id as the event id. */
    private ObjectNode event(RequestRecord r) {
        ObjectNode e = mapper.createObjectNode();
        e.put("event_id", r.requestId());
        e.put("type", "usage");
        e.put("request_id", r.requestId());
        e.put("created_at", r.createdAt().toString());
        e.put("key_id", r.keyId());
        e.put("user_id", r.userId());
        e.put("project_id", r.projectId());
        e.put("tracking_id", r.trackingId());
        e.put("requested_model", r.requestedModel());
        e.put("served_model", r.servedModel());
        e.put("provider", r.provider());
        e.put("status", r.status());
        e.put("error_type", r.errorType());
        e.put("prompt_tokens", r.promptTokens());
        e.put("completion_tokens", r.completionTokens());
        e.put("cached_tokens", r.cachedTokens());
        e.put("input_cost", r.inputCost());
        e.put("output_cost", r.outputCost());
        e.put("total_cost", r.totalCost());
        e.put("latency_ms", r.latencyMs());
        e.put("ttfb_ms", r.ttfbMs());
        e.put("cache_hit", r.cacheHit());
        e.put("fallback_used", r.fallbackUsed());
        e.put("routing_strategy", r.routingStrategy());
        e.put("streamed", r.streamed());
        return e;
    }

    private void run() {
        ProducerRecord<String, String> next = null;
        while (running || next != null || !buffer.isEmpty()) {
            try {
                if (next == null) {
                    next = buffer.poll(200, TimeUnit.MILLISECONDS);
                    if (next == null) {
                        continue;
                    }
                }
                producer.send(next, (metadata, failure) -> {
                    if (failure == null) {
                        published.incrementAndGet();
                    } else {
                        LOG.error("Usage event not delivered: {}", failure.getMessage());
                        lost(1);
                    }
                });
                next = null;
            } catch (InterruptedException e) {
                running = false;
            } catch (KafkaException e) {
                // The producer's own buffer is full or the broker unknown: keep the event, try again.
                if (!running) {
                    lost(1 + buffer.size());
                    buffer.clear();
                    return;
                }
                sleep();
            }
        }
    }

    private void lost(int events) {
        long total = dropped.addAndGet(events);
        if (total == events || total / 1000 != (total - events) / 1000) {
            LOG.error("Usage events buffer full or undeliverable: {} event(s) dropped so far", total);
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(RETRY_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public long published() {
        return published.get();
    }

    public long dropped() {
        return dropped.get();
    }

    public int pending() {
        return buffer.size();
    }

    /** Sends what is buffered, waiting at most a few seconds for the broker, then stops. */
    @Override
    public void close() {
        running = false;
        try {
            sender.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(5));
        if (!buffer.isEmpty()) {
            LOG.error("Usage events: {} event(s) not published at shutdown", buffer.size());
        }
    }
}
