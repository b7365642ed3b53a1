package ai.infrastack.gateway.webhook;

import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.GatewayException;
import ai.infrastack.gateway.core.AdminJson;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.util.LinkedHashSet;
import java.util.Set;
import javax.sql.DataSource;

/**
 * The admin API for webhooks (master key only): POST/GET /api/v1/webhooks, DELETE
 * /api/v1/webhooks/{id}, and GET /api/v1/webhooks/deliveries with each delivery's outcome.
 * A secret is shown once, when its endpoint is created.
 */
public final class WebhookAdminApi {
    private static final Logger LOG = LoggerFactory.getLogger(WebhookAdminApi.class);

    private final WebhookEndpoints endpoints;
    private final DataSource dataSource;
    private final ObjectMapper mapper;

    public WebhookAdminApi(WebhookEndpoints endpoints, DataSource dataSource, ObjectMapper mapper) {
        this.endpoints = endpoints;
        this.dataSource = dataSource;
        this.mapper = mapper;
    }

    public void create(Exchange exchange) throws Exception {
        JsonNode body = AdminJson.object(mapper, exchange.getMessage().getBody(byte[].class),
                "{\"url\": ..., \"secret\": ..., \"events\": [...]}");
        String url = body.path("url").asText("");
        if (!url.startsWith("http://") && !url.startsWith("https://")) {
            throw GatewayException.invalid("url", "'url' must be an http:// or https:// URL");
        }
        try {
            URI.create(url);
        } catch (IllegalArgumentException e) {
            throw GatewayException.invalid("url", "'url' is not a valid URL");
        }
        JsonNode secret = body.get("secret");
        if (secret != null && !secret.isNull() && (!secret.isTextual() || secret.asText().length() < 16)) {
            throw GatewayException.invalid("secret", "'secret' must be a string of at least 16 characters (or left out to have one made)");
        }
        Set<String> events = new LinkedHashSet<>();
        JsonNode list = body.get("events");
        if (list != null && !list.isNull()) {
            if (!list.isArray() || list.isEmpty()) {
                throw GatewayException.invalid("events", "'events' must be a non-empty array of event types, e.g. [\"cost_alert\"]");
            }
            list.forEach(e -> events.add(e.asText()));
        } else {
            events.add("*");
        }
        WebhookEndpoint added = AdminJson.store("webhook", LOG, () -> endpoints.add(url, secret == null || secret.isNull() ? null : secret.asText(), events));
        LOG.info("Webhook endpoint {} added", added.id());
        ObjectNode out = render(added);
        out.put("secret", added.secret());
        AdminJson.respond(exchange, mapper, 201, out);
    }

    public void list(Exchange exchange) {
        ObjectNode out = mapper.createObjectNode();
        out.put("object", "list");
        ArrayNode data = out.putArray("data");
        endpoints.configured().forEach(e -> data.add(render(e).put("source", "configuration")));
        AdminJson.store("webhook", LOG, endpoints::stored).forEach(e -> data.add(render(e).put("source", "admin_api")));
        AdminJson.respond(exchange, mapper, 200, out);
    }

    public void delete(Exchange exchange) {
        String id = exchange.getMessage().getHeader("id", String.class);
        if (!AdminJson.store("webhook", LOG, () -> endpoints.delete(id))) {
            throw GatewayException.of(ErrorType.NOT_FOUND, "No webhook endpoint with id '" + id + "' (endpoints of application.properties are removed there)")
                    .param("id").code("webhook_not_found").build();
        }
        ObjectNode out = mapper.createObjectNode().put("id", id).put("object", "webhook_endpoint").put("deleted", true);
        AdminJson.respond(exchange, mapper, 200, out);
    }

    /** The latest 200 deliveries with their outcome, newest first. */
    public void deliveries(Exchange exchange) {
        ObjectNode out = mapper.createObjectNode();
        out.put("object", "list");
        ArrayNode data = out.putArray("data");
        AdminJson.store("webhook", LOG, () -> {
            try (Connection c = dataSource.getConnection();
                 PreparedStatement ps = c.prepareStatement("SELECT id, event_id, event_type, endpoint_id, status, attempts,"
                         + " last_status, last_error, created_at, delivered_at, next_attempt_at FROM webhook_outbox"
                         + " ORDER BY created_at DESC, id LIMIT 200");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ObjectNode d = data.addObject();
                    d.put("id", rs.getString(1));
                    d.put("event_id", rs.getString(2));
                    d.put("event_type", rs.getString(3));
                    d.put("endpoint_id", rs.getString(4));
                    d.put("status", rs.getString(5));
                    d.put("attempts", rs.getInt(6));
                    int last = rs.getInt(7);
                    d.put("last_status", rs.wasNull() ? null : last);
                    d.put("last_error", rs.getString(8));
                    d.put("created_at", iso(rs.getTimestamp(9)));
                    d.put("delivered_at", iso(rs.getTimestamp(10)));
                    d.put("next_attempt_at", "pending".equals(rs.getString(5)) ? iso(rs.getTimestamp(11)) : null);
                }
            }
            return null;
        });
        AdminJson.respond(exchange, mapper, 200, out);
    }

    private ObjectNode render(WebhookEndpoint e) {
        ObjectNode o = mapper.createObjectNode();
        o.put("id", e.id());
        o.put("object", "webhook_endpoint");
        o.put("url", e.url());
        ArrayNode events = o.putArray("events");
        e.events().forEach(events::add);
        return o;
    }

    private static String iso(Timestamp t) {
        return t == null ? null : t.toInstant().toString();
    }
}
