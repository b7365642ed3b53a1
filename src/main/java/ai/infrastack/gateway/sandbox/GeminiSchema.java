package ai.infrastack.gateway.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Checks a function declaration's {@code parameters}, which Gemini reads as its OpenAPI-subset {@code Schema}
 * message, not as JSON Schema: {@code additionalProperties}, {@code $schema}, {@code $defs}, {@code strict} and
 * other keys get the real "Unknown name" 400, types must be one of the {@code Type} enum (either case), and an
 * OBJECT needs non-empty properties.
 */
final class GeminiSchema {

    private static final Set<String> FIELDS = Set.of("type", "format", "title", "description", "nullable", "enum",
            "maxItems", "minItems", "properties", "required", "minProperties", "maxProperties", "minLength",
            "maxLength", "pattern", "example", "anyOf", "propertyOrdering", "default", "items", "minimum", "maximum");
    private static final Set<String> TYPES = Set.of("TYPE_UNSPECIFIED", "STRING", "NUMBER", "INTEGER", "BOOLEAN",
            "ARRAY", "OBJECT", "NULL");
    private static final String TYPE_ENUM = "type.googleapis.com/google.ai.generativelanguage.v1beta.Type";

    private GeminiSchema() {
    }

    static void check(JsonNode schema, String at) {
        if (!schema.isObject()) {
            throw GeminiFields.invalidValue(at, "type.googleapis.com/google.ai.generativelanguage.v1beta.Schema", schema);
        }
        GeminiFields.checkKnown(schema, FIELDS, at);
        String type = null;
        JsonNode typeNode = schema.get("type");
        if (typeNode != null) {
            type = typeNode.isTextual() ? typeNode.asText().toUpperCase(Locale.ROOT) : null;
            if (type == null || !TYPES.contains(type)) {
                throw GeminiFields.invalidValue(at + ".type", TYPE_ENUM, typeNode);
            }
        }
        JsonNode properties = schema.get("properties");
        if (properties != null) {
            if (!properties.isObject()) {
                throw GeminiFields.invalidValue(at + ".properties",
                        "type.googleapis.com/google.ai.generativelanguage.v1beta.Schema.PropertiesEntry", properties);
            }
            int index = 0;
            for (Iterator<Map.Entry<String, JsonNode>> entries = properties.fields(); entries.hasNext(); index++) {
                check(entries.next().getValue(), at + ".properties[" + index + "].value");
            }
        }
        if ("OBJECT".equals(type) && (properties == null || properties.isEmpty())) {
            throw GeminiFields.request(at + ".properties", "should be non-empty for OBJECT type");
        }
        JsonNode items = schema.get("items");
        if (items != null) {
            check(items, at + ".items");
        }
        JsonNode anyOf = GeminiFields.get(schema, "anyOf");
        if (anyOf != null) {
            for (int i = 0; i < anyOf.size(); i++) {
                check(anyOf.get(i), at + ".any_of[" + i + "]");
            }
        }
        JsonNode required = schema.get("required");
        if (required != null && !required.isArray()) {
            throw GeminiFields.invalidValue(at + ".required", "TYPE_STRING", required);
        }
    }
}
