package ai.infrastack.gateway.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Iterator;
import java.util.Locale;

/**
 * A deterministic value that satisfies a JSON schema, for tool-call arguments and structured-output answers:
 * an object gets its required properties (all of them for strict schemas), an array one item (or its
 * {@code minItems}), a string {@code "sandbox-<name>"} (or a value of its {@code format}, cut or padded to its
 * length bounds), a number 1 moved into its bounds, a boolean true; {@code enum} and {@code const} give their
 * first value, {@code anyOf}/{@code oneOf} their first non-null branch, {@code allOf} the merge of its parts, and
 * local {@code $ref}s ({@code #/$defs/...}) are followed. Gemini's upper-case types are read too. Patterns are not
 * honoured.
 */
final class SchemaInstance {
    private static final int MAX_DEPTH = 32;

    private final JsonNode root;

    private SchemaInstance(JsonNode root) {
        this.root = root;
    }

    /** A value for the schema; a missing schema gives an empty object. */
    static JsonNode of(JsonNode schema) {
        if (schema == null || schema.isMissingNode() || schema.isNull()) {
            return SandboxJson.object();
        }
        return new SchemaInstance(schema).value(schema, "value", 0);
    }

    /** An object for the schema (tool arguments are always an object). */
    static ObjectNode objectOf(JsonNode schema) {
        JsonNode value = of(schema);
        return value instanceof ObjectNode object ? object : SandboxJson.object();
    }

    private JsonNode value(JsonNode schema, String name, int depth) {
        if (depth > MAX_DEPTH || schema == null || !schema.isObject()) {
            return TextNode.valueOf("sandbox-" + name);
        }
        JsonNode ref = schema.get("$ref");
        if (ref != null && ref.isTextual() && ref.asText().startsWith("#")) {
            JsonNode target = root.at(ref.asText().substring(1));
            return value(target.isMissingNode() ? null : target, name, depth + 1);
        }
        if (schema.has("const")) {
            return schema.get("const");
        }
        JsonNode enumeration = schema.get("enum");
        if (enumeration != null && enumeration.isArray() && !enumeration.isEmpty()) {
            return enumeration.get(0);
        }
        for (String union : new String[] {"anyOf", "oneOf", "any_of", "one_of"}) {
            JsonNode branches = schema.get(union);
            if (branches != null && branches.isArray() && !branches.isEmpty()) {
                for (JsonNode branch : branches) {
                    if (!"null".equalsIgnoreCase(branch.path("type").asText())) {
                        return value(branch, name, depth + 1);
                    }
                }
                return NullNode.instance;
            }
        }
        JsonNode allOf = schema.get("allOf");
        if (allOf != null && allOf.isArray() && !allOf.isEmpty()) {
            return value(merged(schema, allOf), name, depth + 1);
        }
        switch (typeOf(schema)) {
            case "object":
                return object(schema, depth);
            case "array":
                return array(schema, name, depth);
            case "integer":
                return number(schema, true);
            case "number":
                return number(schema, false);
            case "boolean":
                return BooleanNode.TRUE;
            case "null":
                return NullNode.instance;
            default:
                return string(schema, name);
        }
    }

    /** The declared type in lower case; for a union like ["integer","null"] the first non-null member. */
    private static String typeOf(JsonNode schema) {
        JsonNode type = schema.get("type");
        if (type != null && type.isArray()) {
            for (JsonNode member : type) {
                if (!"null".equalsIgnoreCase(member.asText())) {
                    return member.asText().toLowerCase(Locale.ROOT);
                }
            }
            return "null";
        }
        if (type != null && type.isTextual()) {
            return type.asText().toLowerCase(Locale.ROOT);
        }
        if (schema.has("properties")) {
            return "object";
        }
        if (schema.has("items")) {
            return "array";
        }
        return "string";
    }

    private ObjectNode object(JsonNode schema, int depth) {
        ObjectNode out = SandboxJson.object();
        JsonNode properties = schema.path("properties");
        for (JsonNode required : schema.path("required")) {
            String name = required.asText();
            out.set(name, value(properties.get(name), name, depth + 1));
        }
        int minProperties = schema.path("minProperties").asInt(0);
        for (Iterator<String> names = properties.fieldNames(); names.hasNext() && out.size() < minProperties; ) {
            String name = names.next();
            if (!out.has(name)) {
                out.set(name, value(properties.get(name), name, depth + 1));
            }
        }
        return out;
    }

    private ArrayNode array(JsonNode schema, String name, int depth) {
        ArrayNode out = SandboxJson.MAPPER.createArrayNode();
        int count = Math.max(1, schema.path("minItems").asInt(0));
        if (schema.has("maxItems")) {
            count = Math.min(count, schema.path("maxItems").asInt());
        }
        JsonNode prefix = schema.path("prefixItems");
        for (int i = 0; i < count; i++) {
            JsonNode item = i < prefix.size() ? prefix.get(i) : schema.get("items");
            out.add(item == null || !item.isObject() ? TextNode.valueOf("sandbox-" + name) : value(item, name, depth + 1));
        }
        return out;
    }

    private static JsonNode number(JsonNode schema, boolean integer) {
        BigDecimal value = BigDecimal.ONE;
        BigDecimal minimum = decimal(schema.get("minimum"));
        BigDecimal maximum = decimal(schema.get("maximum"));
        JsonNode exclusiveMin = schema.get("exclusiveMinimum");
        JsonNode exclusiveMax = schema.get("exclusiveMaximum");
        BigDecimal step = integer ? BigDecimal.ONE : new BigDecimal("0.5");
        if (exclusiveMin != null && exclusiveMin.isNumber()) {
            minimum = exclusiveMin.decimalValue().add(step);
        } else if (exclusiveMin != null && exclusiveMin.asBoolean(false) && minimum != null) {
            minimum = minimum.add(step);
        }
        if (exclusiveMax != null && exclusiveMax.isNumber()) {
            maximum = exclusiveMax.decimalValue().subtract(step);
        } else if (exclusiveMax != null && exclusiveMax.asBoolean(false) && maximum != null) {
            maximum = maximum.subtract(step);
        }
        if (minimum != null && value.compareTo(minimum) < 0) {
            value = integer ? minimum.setScale(0, RoundingMode.CEILING) : minimum;
        }
        if (maximum != null && value.compareTo(maximum) > 0) {
            value = integer ? maximum.setScale(0, RoundingMode.FLOOR) : maximum;
        }
        BigDecimal multipleOf = decimal(schema.get("multipleOf"));
        if (multipleOf != null && multipleOf.signum() > 0) {
            value = value.divide(multipleOf, 0, RoundingMode.CEILING).multiply(multipleOf);
        }
        if (integer || value.stripTrailingZeros().scale() <= 0) {
            long whole = value.setScale(0, RoundingMode.HALF_UP).longValueExact();
            return whole == (int) whole ? IntNode.valueOf((int) whole) : LongNode.valueOf(whole);
        }
        return DecimalNode.valueOf(value);
    }

    private static BigDecimal decimal(JsonNode node) {
        return node != null && node.isNumber() ? node.decimalValue() : null;
    }

    private static TextNode string(JsonNode schema, String name) {
        String value = switch (schema.path("format").asText("")) {
            case "date-time" -> "2024-01-01T00:00:00Z";
            case "date" -> "2024-01-01";
            case "time" -> "00:00:00";
            case "email" -> "sandbox@example.com";
            case "uri", "url" -> "https://example.com/sandbox";
            case "uuid" -> "00000000-0000-4000-8000-000000000000";
            default -> "sandbox-" + name;
        };
        int min = schema.path("minLength").asInt(0);
        StringBuilder padded = new StringBuilder(value);
        while (padded.length() < min) {
            padded.append('x');
        }
        value = padded.toString();
        if (schema.has("maxLength") && value.length() > schema.path("maxLength").asInt()) {
            value = value.substring(0, Math.max(0, schema.path("maxLength").asInt()));
        }
        return TextNode.valueOf(value);
    }

    /** allOf's parts folded into one schema: properties and required lists joined, other keys from the last part. */
    private static JsonNode merged(JsonNode schema, JsonNode parts) {
        ObjectNode out = ((ObjectNode) schema).deepCopy();
        out.remove("allOf");
        ObjectNode properties = out.has("properties") && out.get("properties").isObject()
                ? (ObjectNode) out.get("properties") : out.putObject("properties");
        ArrayNode required = out.has("required") && out.get("required").isArray()
                ? (ArrayNode) out.get("required") : out.putArray("required");
        for (JsonNode part : parts) {
            part.fields().forEachRemaining(field -> {
                switch (field.getKey()) {
                    case "properties" -> {
                        if (field.getValue() instanceof ObjectNode more) {
                            properties.setAll(more);
                        }
                    }
                    case "required" -> field.getValue().forEach(required::add);
                    default -> out.set(field.getKey(), field.getValue());
                }
            });
        }
        return out;
    }
}
