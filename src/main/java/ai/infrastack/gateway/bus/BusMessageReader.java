package ai.infrastack.gateway.bus;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;

import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * First step for a bus message: reads the body — one chat request with a {@code custom_id}, or a
 * batch envelope {@code {"custom_id": ..., "requests": [{"custom_id": ..., "model": ..., ...}]}} —
 * and the headers the contract names ({@code Authorization}, {@code x-correlation-id},
 * {@code x-deadline}), then drops every incoming header so none reaches the pipeline or a result.
 * A message it cannot read is a {@link BusRejection}.
 */
public final class BusMessageReader implements Processor {
    static final String DEADLINE_HEADER = "x-deadline";
    private final ObjectMapper mapper;
    private final int maxBatchItems;

    public BusMessageReader(ObjectMapper mapper, int maxBatchItems) {
        this.mapper = mapper;
        this.maxBatchItems = maxBatchItems;
    }

    @Override
    public void process(Exchange exchange) {
        Message m = exchange.getMessage();
        byte[] body = m.getBody(byte[].class);
        exchange.setProperty(BusExchange.ORIGINAL_BODY, body);
        String authorization = m.getHeader("Authorization", String.class);
        String correlation = firstOf(exchange.getProperty(BusExchange.CORRELATION_ID, String.class),
                m.getHeader(BusResult.CORRELATION_ID_HEADER, String.class),
                exchange.getProperty(BusExchange.MESSAGE_KEY, String.class));
        String deadline = m.getHeader(DEADLINE_HEADER, String.class);
        m.removeHeaders("*");
        exchange.setProperty(BusExchange.API_KEY, bearer(authorization));
        exchange.setProperty(BusExchange.REPLY_TO, firstOf(exchange.getProperty(BusExchange.REPLY_TO, String.class),
                exchange.getProperty(BusExchange.DEFAULT_REPLY_TO, String.class)));
        exchange.setProperty(BusExchange.CORRELATION_ID, correlation);
        ObjectNode message = parse(body);
        String customId = customId(message);
        if (correlation == null) {
            exchange.setProperty(BusExchange.CORRELATION_ID, customId);
        }
        exchange.setProperty(BusExchange.CUSTOM_ID, customId);
        exchange.setProperty(BusExchange.DEADLINE, deadline(deadline));
        exchange.setProperty(BusExchange.ITEMS, message.has("requests") && !message.has("messages")
                ? batchItems(message) : List.of(item(message, customId)));
    }

    private ObjectNode parse(byte[] body) {
        if (body == null || body.length == 0) {
            throw new BusRejection("unparseable", "empty message");
        }
        JsonNode node;
        try {
            node = mapper.readTree(body);
        } catch (JsonProcessingException e) {
            throw new BusRejection("unparseable", "not JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new BusRejection("unparseable", e.getMessage());
        }
        if (node == null || !node.isObject()) {
            throw new BusRejection("unparseable", "the message must be a JSON object");
        }
        return (ObjectNode) node;
    }

    private List<BusItem> batchItems(ObjectNode envelope) {
        JsonNode requests = envelope.get("requests");
        if (!requests.isArray() || requests.isEmpty()) {
            throw new BusRejection("unparseable", "'requests' must be a non-empty array of chat requests");
        }
        if (requests.size() > maxBatchItems) {
            throw new BusRejection("batch_too_large", requests.size() + " requests; at most " + maxBatchItems);
        }
        List<BusItem> items = new ArrayList<>(requests.size());
        for (JsonNode r : requests) {
            if (!r.isObject()) {
                throw new BusRejection("unparseable", "every entry of 'requests' must be a JSON object");
            }
            items.add(item((ObjectNode) r, customIdOf((ObjectNode) r)));
        }
        return items;
    }

    /** The chat request as the pipeline takes it: no custom_id, and never streamed (a bus answer is one message). */
    private BusItem item(ObjectNode request, String customId) {
        ObjectNode chat = request.deepCopy();
        chat.remove("custom_id");
        chat.remove("stream");
        chat.remove("stream_options");
        try {
            return new BusItem(customId, mapper.writeValueAsBytes(chat));
        } catch (JsonProcessingException e) {
            throw new BusRejection("unparseable", e.getOriginalMessage());
        }
    }

    /** A single request must name itself; an envelope may instead be named by its correlation id. */
    private static String customId(ObjectNode message) {
        return message.has("requests") && !message.has("messages") && !message.has("custom_id")
                ? null : customIdOf(message);
    }

    private static String customIdOf(ObjectNode request) {
        JsonNode id = request.get("custom_id");
        if (id == null || !id.isTextual() || id.asText().isBlank()) {
            throw new BusRejection("missing_custom_id", "each request needs a 'custom_id' string: it is the key a redelivery is recognised by");
        }
        if (id.asText().length() > 256) {
            throw new BusRejection("unparseable", "'custom_id' is longer than 256 characters");
        }
        return id.asText();
    }

    /** Epoch milliseconds or an ISO-8601 instant. */
    private static Instant deadline(String header) {
        if (header == null || header.isBlank()) {
            return null;
        }
        String v = header.trim();
        try {
            return v.chars().allMatch(Character::isDigit) ? Instant.ofEpochMilli(Long.parseLong(v)) : Instant.parse(v);
        } catch (DateTimeParseException | NumberFormatException e) {
            throw new BusRejection("unparseable", "'" + DEADLINE_HEADER + "' is neither epoch milliseconds nor an ISO-8601 instant");
        }
    }

    private static String bearer(String authorization) {
        if (authorization == null) {
            return null;
        }
        String v = authorization.trim();
        return v.regionMatches(true, 0, "Bearer ", 0, 7) ? v.substring(7).trim() : v;
    }

    private static String firstOf(String... values) {
        for (String v : values) {
            if (v != null && !v.isBlank()) {
                return v;
            }
        }
        return null;
    }
}
