package ai.infrastack.gateway.batch;

import ai.infrastack.gateway.core.GatewayException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads and checks the body of {@code POST /api/v1/batches}: {@code requests} (each a chat request,
 * optionally with a {@code custom_id}), {@code max_concurrent_requests} (default and ceiling from the
 * configuration), {@code return_individual_costs}, {@code webhook_url}. Each item's own fields are
 * checked when it runs, by the chat pipeline, as an HTTP call's are; here only what the batch needs.
 */
final class BatchSubmission {
    private static final Set<String> FIELDS = Set.of("requests", "max_concurrent_requests", "return_individual_costs", "webhook_url");
    private static final int MAX_CUSTOM_ID = 200;

    private final ObjectMapper mapper;
    private final int defaultConcurrency;
    private final int maxConcurrency;
    private final int maxItems;

    BatchSubmission(ObjectMapper mapper, int defaultConcurrency, int maxConcurrency, int maxItems) {
        this.mapper = mapper.copy().enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        this.defaultConcurrency = defaultConcurrency;
        this.maxConcurrency = maxConcurrency;
        this.maxItems = maxItems;
    }

    NewBatch parse(byte[] body) {
        JsonNode root;
        try {
            root = body == null || body.length == 0 ? null : mapper.readTree(body);
        } catch (JsonProcessingException e) {
            throw GatewayException.invalid(null, "Request body is not valid JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw GatewayException.invalid(null, "Request body could not be read: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw GatewayException.invalid(null, "Request body must be a JSON object with 'requests'");
        }
        root.fieldNames().forEachRemaining(f -> {
            if (!FIELDS.contains(f)) {
                throw GatewayException.invalid(f, "Unknown field '" + f + "'; a batch has " + String.join(", ", FIELDS.stream().sorted().toList()));
            }
        });
        return new NewBatch(items(root.get("requests")), concurrency(root.get("max_concurrent_requests")),
                flag(root.get("return_individual_costs")), webhookUrl(root.get("webhook_url")));
    }

    private List<NewBatch.Item> items(JsonNode requests) {
        if (requests == null || !requests.isArray() || requests.isEmpty()) {
            throw GatewayException.invalid("requests", "'requests' must be a non-empty array of chat completion requests");
        }
        if (requests.size() > maxItems) {
            throw GatewayException.invalid("requests", "A batch holds at most " + maxItems + " requests; got " + requests.size());
        }
        List<NewBatch.Item> items = new ArrayList<>(requests.size());
        Set<String> customIds = new HashSet<>();
        for (int i = 0; i < requests.size(); i++) {
            String param = "requests[" + i + "]";
            JsonNode r = requests.get(i);
            if (!r.isObject()) {
                throw GatewayException.invalid(param, param + " must be a chat completion request object");
            }
            ObjectNode request = ((ObjectNode) r).deepCopy();
            String customId = null;
            JsonNode c = request.remove("custom_id");
            if (c != null && !c.isNull()) {
                if (!c.isTextual() || c.asText().isEmpty() || c.asText().length() > MAX_CUSTOM_ID) {
                    throw GatewayException.invalid(param + ".custom_id", "custom_id must be a string of 1 to " + MAX_CUSTOM_ID + " characters");
                }
                customId = c.asText();
                if (!customIds.add(customId)) {
                    throw GatewayException.invalid(param + ".custom_id", "custom_id '" + customId + "' is used twice in this batch");
                }
            }
            if (!request.path("model").isTextual() || !request.path("messages").isArray()) {
                throw GatewayException.invalid(param, param + " needs 'model' (string) and 'messages' (array)");
            }
            if (request.path("stream").asBoolean(false)) {
                throw GatewayException.invalid(param + ".stream", "Batch items are answered whole; leave 'stream' out or false");
            }
            try {
                items.add(new NewBatch.Item(customId, mapper.writeValueAsString(request)));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
        return items;
    }

    private int concurrency(JsonNode n) {
        if (n == null || n.isNull()) {
            return Math.min(defaultConcurrency, maxConcurrency);
        }
        if (!n.isIntegralNumber() || n.asLong() < 1) {
            throw GatewayException.invalid("max_concurrent_requests", "max_concurrent_requests must be a positive integer");
        }
        // capped, not refused: the configuration says how much one batch may take of this gateway
        return (int) Math.min(n.asLong(), maxConcurrency);
    }

    private static boolean flag(JsonNode n) {
        if (n == null || n.isNull()) {
            return false;
        }
        if (!n.isBoolean()) {
            throw GatewayException.invalid("return_individual_costs", "return_individual_costs must be true or false");
        }
        return n.asBoolean();
    }

    private static String webhookUrl(JsonNode n) {
        if (n == null || n.isNull()) {
            return null;
        }
        String text = n.isTextual() ? n.asText() : "";
        try {
            URI uri = URI.create(text);
            if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null && text.length() <= 2000) {
                return text;
            }
        } catch (IllegalArgumentException e) {
            // falls through to the error
        }
        throw GatewayException.invalid("webhook_url", "webhook_url must be an absolute http(s) URL of at most 2000 characters");
    }
}
