package ai.infrastack.gateway.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.Locale;

/**
 * Fills a tool's required arguments from its JSON schema: strings become {@code "sandbox-<name>"},
 * numbers 1, booleans true, objects are filled recursively, arrays are empty.
 */
final class ToolArguments {

    private ToolArguments() {
    }

    static ObjectNode forSchema(JsonNode schema) {
        ObjectNode arguments = SandboxJson.object();
        JsonNode properties = schema.path("properties");
        for (JsonNode required : schema.path("required")) {
            String name = required.asText();
            arguments.set(name, valueFor(name, properties.path(name)));
        }
        return arguments;
    }

    private static JsonNode valueFor(String name, JsonNode property) {
        switch (typeOf(property)) {
            case "number":
            case "integer":
                return IntNode.valueOf(1);
            case "boolean":
                return BooleanNode.TRUE;
            case "object":
                return forSchema(property);
            case "array":
                return SandboxJson.MAPPER.createArrayNode();
            default:
                return TextNode.valueOf("sandbox-" + name);
        }
    }

    /** The declared type in lower case (Gemini writes "OBJECT"); for a union like ["integer","null"] the first non-null member. */
    private static String typeOf(JsonNode property) {
        JsonNode type = property.path("type");
        if (type.isArray()) {
            for (JsonNode member : type) {
                if (!"null".equalsIgnoreCase(member.asText())) {
                    return member.asText().toLowerCase(Locale.ROOT);
                }
            }
        }
        if (type.isTextual()) {
            return type.asText().toLowerCase(Locale.ROOT);
        }
        JsonNode anyOf = property.has("anyOf") ? property.path("anyOf") : property.path("any_of");
        JsonNode first = anyOf.path(0);
        return first.isMissingNode() ? "string" : typeOf(first);
    }
}
