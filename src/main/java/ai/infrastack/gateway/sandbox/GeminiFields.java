package ai.infrastack.gateway.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Set;

/**
 * Proto-JSON field handling the way Google's front end does it: a field may be spelt lowerCamel or snake_case,
 * unknown names are refused with {@code Invalid JSON payload received. Unknown name "x" at 'path': Cannot find
 * field.}, error paths use snake_case, and numbers may arrive as JSON strings.
 */
final class GeminiFields {

    /** Marks an {@link InvalidRequest} whose message goes into a {@code google.rpc.BadRequest} detail. */
    static final String PAYLOAD = "payload";

    private GeminiFields() {
    }

    /** The field spelt either way, or null. */
    static JsonNode get(JsonNode object, String camelName) {
        JsonNode value = object.get(camelName);
        return value != null ? value : object.get(snake(camelName));
    }

    /** Refuses the first field whose name (either spelling) is not in {@code camelNames}. */
    static void checkKnown(JsonNode object, Set<String> camelNames, String at) {
        for (Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!camelNames.contains(camel(name))) {
                throw unknownName(name, at);
            }
        }
    }

    static InvalidRequest unknownName(String name, String at) {
        String where = at == null || at.isEmpty() ? "" : " at '" + at + "'";
        return new InvalidRequest(400, "Invalid JSON payload received. Unknown name \"" + name + "\"" + where
                + ": Cannot find field.", at, PAYLOAD);
    }

    /** {@code Invalid value at 'path' (TYPE), value}, the proto-JSON type error. */
    static InvalidRequest invalidValue(String at, String type, JsonNode value) {
        return new InvalidRequest(400, "Invalid value at '" + at + "' (" + type + "), " + SandboxJson.write(value),
                at, PAYLOAD);
    }

    /** A semantic check failing, in the {@code * GenerateContentRequest.path: message} form. */
    static InvalidRequest request(String at, String message) {
        return new InvalidRequest(400, "* GenerateContentRequest." + at + ": " + message + "\n", null, null);
    }

    static String join(String at, String camelName) {
        return at.isEmpty() ? snake(camelName) : at + "." + snake(camelName);
    }

    /** A number, or a string holding one (proto JSON accepts both); else the type error. */
    static double number(JsonNode value, String at, String type) {
        if (value.isNumber()) {
            return value.doubleValue();
        }
        if (value.isTextual()) {
            try {
                return Double.parseDouble(value.asText().trim());
            } catch (NumberFormatException e) {
                throw invalidValue(at, type, value);
            }
        }
        throw invalidValue(at, type, value);
    }

    /** A whole number (also 10.0 or "10"); else the type error. */
    static long integer(JsonNode value, String at, String type) {
        double number = number(value, at, type);
        if (number != Math.rint(number) || Double.isInfinite(number)) {
            throw invalidValue(at, type, value);
        }
        return (long) number;
    }

    static String text(JsonNode value, String at) {
        if (!value.isTextual()) {
            throw invalidValue(at, "TYPE_STRING", value);
        }
        return value.asText();
    }

    static String snake(String camel) {
        StringBuilder out = new StringBuilder(camel.length() + 4);
        for (int i = 0; i < camel.length(); i++) {
            char c = camel.charAt(i);
            if (c >= 'A' && c <= 'Z') {
                out.append('_').append((char) (c + ('a' - 'A')));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    static String camel(String name) {
        if (name.indexOf('_') < 0) {
            return name;
        }
        StringBuilder out = new StringBuilder(name.length());
        boolean upper = false;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '_' && i > 0) {
                upper = true;
            } else {
                out.append(upper && c >= 'a' && c <= 'z' ? (char) (c - ('a' - 'A')) : c);
                upper = false;
            }
        }
        return out.toString();
    }
}
