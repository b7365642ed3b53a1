package ai.infrastack.gateway.auth;

import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.GatewayException;
import ai.infrastack.gateway.catalog.ModelCatalog;
import ai.infrastack.gateway.catalog.ModelSpec;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Parses and checks the body of {@code POST /api/v1/keys} into an {@link ApiKeyStore.NewKey}. Every
 * field is optional; a wrong one is a 400 {@code invalid_request_error} naming it in {@code param}.
 * Unknown fields are refused too: a misspelt {@code expires_at} must not yield a key that never expires.
 */
final class NewKeyRequest {
    static final Set<String> TIERS = Set.of("free", "pro", "enterprise");
    private static final Set<String> FIELDS = Set.of("name", "tier", "user_id", "project_id", "allowed_models", "limits", "expires_at");
    private static final Set<String> LIMITS = Set.of("requests_per_hour", "tokens_per_hour");
    /** Column widths of api_keys (V1 migration). */
    private static final int MAX_TEXT = 200;
    private static final int MAX_MODELS_TEXT = 4000;

    private final ObjectMapper mapper;

    NewKeyRequest(ObjectMapper mapper) {
        this.mapper = mapper.copy()
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    }

    /**
     * @param catalog resolves allowed model names (aliases included) to gateway ids; null accepts
     *                any name as given, lower-cased like the keys file does
     */
    ApiKeyStore.NewKey parse(byte[] body, ModelCatalog catalog, Instant now) {
        JsonNode root = read(body);
        for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            String field = names.next();
            if (!FIELDS.contains(field)) {
                throw GatewayException.invalid(field, "Unknown parameter '" + field + "'; a key takes " + sorted(FIELDS));
            }
        }
        String tier = text(root, "tier", "tier");
        if (tier == null) {
            tier = "free";
        } else if (!TIERS.contains(tier)) {
            throw GatewayException.invalid("tier", "'tier' must be one of " + sorted(TIERS) + ", got '" + tier + "'");
        }
        JsonNode limits = root.get("limits");
        Long requestsPerHour = null;
        Long tokensPerHour = null;
        if (present(limits)) {
            if (!limits.isObject()) {
                throw GatewayException.invalid("limits", "'limits' must be an object with requests_per_hour and/or tokens_per_hour");
            }
            for (Iterator<String> names = limits.fieldNames(); names.hasNext(); ) {
                String field = names.next();
                if (!LIMITS.contains(field)) {
                    throw GatewayException.invalid("limits." + field, "Unknown limit 'limits." + field + "'; limits are " + sorted(LIMITS));
                }
            }
            requestsPerHour = positiveLong(limits, "requests_per_hour");
            tokensPerHour = positiveLong(limits, "tokens_per_hour");
        }
        return new ApiKeyStore.NewKey(
                text(root, "name", "name"),
                tier,
                nonBlank(root, "user_id"),
                nonBlank(root, "project_id"),
                allowedModels(root.get("allowed_models"), catalog),
                requestsPerHour,
                tokensPerHour,
                expiresAt(root.get("expires_at"), now));
    }

    private JsonNode read(byte[] body) {
        if (body == null || body.length == 0) {
            return mapper.createObjectNode();
        }
        JsonNode node;
        try {
            node = mapper.readTree(body);
        } catch (JsonProcessingException e) {
            throw GatewayException.invalid(null, "Request body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw GatewayException.invalid(null, "Request body could not be read: " + e.getMessage());
        }
        if (node == null || node.isMissingNode()) {
            return mapper.createObjectNode();
        }
        if (!node.isObject()) {
            throw GatewayException.invalid(null, "Request body must be a JSON object");
        }
        return node;
    }

    private static String text(JsonNode root, String field, String param) {
        JsonNode v = root.get(field);
        if (!present(v)) {
            return null;
        }
        if (!v.isTextual()) {
            throw GatewayException.invalid(param, "'" + param + "' must be a string");
        }
        if (v.asText().length() > MAX_TEXT) {
            throw GatewayException.invalid(param, "'" + param + "' must be at most " + MAX_TEXT + " characters");
        }
        return v.asText();
    }

    private static String nonBlank(JsonNode root, String field) {
        String v = text(root, field, field);
        if (v != null && v.isBlank()) {
            throw GatewayException.invalid(field, "'" + field + "' must be a non-empty string when given");
        }
        return v;
    }

    private static Long positiveLong(JsonNode limits, String field) {
        JsonNode v = limits.get(field);
        if (!present(v)) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 1) {
            throw GatewayException.invalid("limits." + field, "'limits." + field + "' must be a positive integer");
        }
        return v.asLong();
    }

    private static Set<String> allowedModels(JsonNode v, ModelCatalog catalog) {
        if (!present(v)) {
            return Set.of();
        }
        if (!v.isArray()) {
            throw GatewayException.invalid("allowed_models", "'allowed_models' must be an array of model ids");
        }
        Set<String> ids = new LinkedHashSet<>();
        for (int i = 0; i < v.size(); i++) {
            JsonNode m = v.get(i);
            String param = "allowed_models[" + i + "]";
            if (!m.isTextual() || m.asText().isBlank()) {
                throw GatewayException.invalid(param, "'" + param + "' must be a non-empty string");
            }
            String name = m.asText().trim();
            if (name.contains(",")) {
                throw GatewayException.invalid(param, "'" + param + "' must be a model id, without commas");
            }
            if (catalog == null) {
                ids.add(name.toLowerCase(Locale.ROOT));
            } else {
                // Stored as the gateway id, which is what the model check compares against, so an alias works too.
                ModelSpec spec = catalog.find(name).orElseThrow(() -> GatewayException
                        .of(ErrorType.INVALID_REQUEST, "'" + param + "': the model '" + name
                                + "' does not exist; GET /api/v1/models lists the available models")
                        .param(param).code("model_not_found").build());
                ids.add(spec.id());
            }
        }
        if (String.join(",", ids).length() > MAX_MODELS_TEXT) {
            throw GatewayException.invalid("allowed_models", "'allowed_models' lists too many models");
        }
        return Set.copyOf(ids);
    }

    private static Instant expiresAt(JsonNode v, Instant now) {
        if (!present(v)) {
            return null;
        }
        String hint = "'expires_at' must be an ISO-8601 date-time with a zone, e.g. 2030-01-31T00:00:00Z";
        if (!v.isTextual()) {
            throw GatewayException.invalid("expires_at", hint);
        }
        Instant at;
        try {
            at = Instant.parse(v.asText());
        } catch (DateTimeParseException notInstant) {
            try {
                at = OffsetDateTime.parse(v.asText()).toInstant();
            } catch (DateTimeParseException e) {
                throw GatewayException.invalid("expires_at", hint + ", got '" + v.asText() + "'");
            }
        }
        if (!at.isAfter(now)) {
            throw GatewayException.invalid("expires_at", "'expires_at' must be in the future, got " + at);
        }
        return at;
    }

    private static boolean present(JsonNode v) {
        return v != null && !v.isNull();
    }

    private static String sorted(Set<String> names) {
        return names.stream().sorted().toList().toString();
    }
}
