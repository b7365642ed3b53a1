package ai.infrastack.gateway.batch;

import ai.infrastack.gateway.core.Cost;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;

/**
 * Hands a finished batch's {@code batch_completed} event (the spec's body) to the webhook outbox,
 * {@code direct:webhook-event}, with the batch's own webhook_url as an extra target. Delivery and its
 * retries are the outbox's; without that route (not installed) the event is logged, never fatal.
 */
final class BatchCompletionNotice {
    static final String ROUTE = "direct:webhook-event";
    private static final Logger LOG = LoggerFactory.getLogger(BatchCompletionNotice.class);

    private final CamelContext context;
    private final ProducerTemplate template;
    private final ObjectMapper mapper;

    BatchCompletionNotice(CamelContext context, ProducerTemplate template, ObjectMapper mapper) {
        this.context = context;
        this.template = template;
        this.mapper = mapper;
    }

    ObjectNode event(BatchSummary batch) {
        ObjectNode body = mapper.createObjectNode();
        body.put("type", "batch_completed");
        body.put("batch_id", batch.id());
        body.put("status", batch.status());
        body.put("total_requests", batch.total());
        body.put("successful_requests", batch.completed());
        body.put("total_cost", Cost.rendered(batch.totalCost()));
        return body;
    }

    /** True when the outbox took the event. */
    boolean send(BatchSummary batch) {
        ObjectNode event = event(batch);
        if (!outboxInstalled()) {
            LOG.warn("batch_completed for {} not sent: no {} route is installed", batch.id(), ROUTE);
            return false;
        }
        Map<String, Object> headers = new HashMap<>();
        headers.put("GatewayWebhookEvent", "batch_completed");
        if (batch.webhookUrl() != null) {
            headers.put("GatewayWebhookUrl", batch.webhookUrl());
        }
        try {
            template.sendBodyAndHeaders(ROUTE, event, headers);
            return true;
        } catch (RuntimeException e) {
            LOG.warn("batch_completed for {} not taken by the webhook outbox: {}", batch.id(), e.toString());
            return false;
        }
    }

    private boolean outboxInstalled() {
        for (Route route : context.getRoutes()) {
            String uri = route.getEndpoint().getEndpointUri();
            if (uri.equals("direct://webhook-event") || uri.equals(ROUTE) || uri.startsWith("direct://webhook-event?")) {
                return true;
            }
        }
        return false;
    }
}
