package ai.infrastack.gateway.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.math.BigDecimal;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * The exact-match cache key of a request: a SHA-256 of its normalised form — the model as resolved
 * (so an alias and its id share answers), messages, sampling parameters, tools and every other field
 * that can change the answer, with object keys sorted and numbers in one form (1 = 1.0). Fields that
 * only say who pays, how to deliver or how to render are left out, so they never split the cache.
 */
final class RequestFingerprint {
    /** Billing, tracking, delivery and rendering: never part of what the model is asked. */
    private static final Set<String> NOT_THE_QUESTION = Set.of(
            "model", "user", "budget", "routing", "response", "stream", "stream_options", "metadata", "store");

    private final ObjectMapper mapper;

    RequestFingerprint(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    String of(JsonNode request, String modelId) {
        ObjectNode question = mapper.createObjectNode();
        question.put("model", modelId);
        request.fields().forEachRemaining(field -> {
            if (!NOT_THE_QUESTION.contains(field.getKey())) {
                question.set(field.getKey(), field.getValue());
            }
        });
        try {
            byte[] canonical = mapper.writeValueAsBytes(normalised(question));
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(canonical));
        } catch (com.fasterxml.jackson.core.JsonProcessingException | NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private JsonNode normalised(JsonNode node) {
        if (node.isObject()) {
            List<String> names = new ArrayList<>();
            node.fieldNames().forEachRemaining(names::add);
            names.sort(null);
            ObjectNode sorted = mapper.createObjectNode();
            for (String name : names) {
                sorted.set(name, normalised(node.get(name)));
            }
            return sorted;
        }
        if (node.isArray()) {
            ArrayNode copy = mapper.createArrayNode();
            node.forEach(item -> copy.add(normalised(item)));
            return copy;
        }
        if (node.isNumber()) {
            BigDecimal n = node.decimalValue().stripTrailingZeros();
            return mapper.getNodeFactory().numberNode(n);
        }
        return node;
    }
}
