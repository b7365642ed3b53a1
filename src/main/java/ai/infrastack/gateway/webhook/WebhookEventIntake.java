package ai.infrastack.gateway.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * The step behind {@code direct:webhook-event}: takes an event body exactly as the spec shows it
 * (String, bytes or a Jackson node), header {@value #EVENT} = its type and optional header
 * {@value #URL} = one more target, and writes its outbox rows durably before returning.
 */
public final class WebhookEventIntake implements Processor {
    public static final String EVENT = "GatewayWebhookEvent";
    public static final String URL = "GatewayWebhookUrl";

    private final WebhookOutbox outbox;
    private final ObjectMapper mapper;

    public WebhookEventIntake(WebhookOutbox outbox, ObjectMapper mapper) {
        this.outbox = outbox;
        this.mapper = mapper;
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        String type = exchange.getMessage().getHeader(EVENT, String.class);
        if (type == null || type.isBlank()) {
            throw new IllegalArgumentException("direct:webhook-event needs the header " + EVENT + " (e.g. batch_completed)");
        }
        Object body = exchange.getMessage().getBody();
        String json = body instanceof JsonNode node ? mapper.writeValueAsString(node) : exchange.getMessage().getBody(String.class);
        // Checked here so a producer's mistake fails at its call, not at a receiver.
        mapper.readTree(json);
        int rows = outbox.publish(type, json, exchange.getMessage().getHeader(URL, String.class));
        exchange.getMessage().setHeader("GatewayWebhookDeliveries", rows);
    }
}
