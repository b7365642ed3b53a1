package ai.infrastack.gateway.provider;

import ai.infrastack.gateway.core.Json;
import ai.infrastack.gateway.core.GatewayException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Reading the parts of an OpenAI-format request that every non-OpenAI translator needs the same
 * way: message text, stop sequences, image data URLs, tool-call arguments, unmapped parameters,
 * and merging same-role turns for vendors that want them alternating.
 */
public final class OpenAiRequestParts {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final ObjectMapper MAPPER = Json.plainMapper();

    private OpenAiRequestParts() {}

    /** An image given as {@code data:<media type>;base64,<data>}. */
    public record DataUrl(String mediaType, String data) {}

    /** The text of a content value: the string itself, or its text parts joined. */
    public static String text(JsonNode content) {
        if (content == null || content.isNull()) {
            return "";
        }
        if (content.isTextual()) {
            return content.asText();
        }
        StringBuilder sb = new StringBuilder();
        for (JsonNode part : content) {
            if (part.has("text")) {
                sb.append(part.get("text").asText());
            }
        }
        return sb.toString();
    }

    /** {@code stop} (a string or a list) as a list, or null when the request has none. */
    public static ArrayNode stopSequences(JsonNode stop) {
        if (stop == null || stop.isNull()) {
            return null;
        }
        ArrayNode seqs = JSON.arrayNode();
        if (stop.isTextual()) {
            seqs.add(stop.asText());
        } else {
            stop.forEach(seqs::add);
        }
        return seqs;
    }

    /** The URL of an {@code image_url} part (a string or {@code {url}}). */
    public static String imageUrl(JsonNode imageUrl) {
        return imageUrl.isTextual() ? imageUrl.asText() : imageUrl.path("url").asText();
    }

    /** A data URL's media type and base64 data, or null for any other URL. */
    public static DataUrl dataUrl(String url) {
        if (!url.startsWith("data:")) {
            return null;
        }
        int comma = url.indexOf(',');
        int semi = url.indexOf(';');
        if (comma < 0 || semi < 0 || semi > comma) {
            throw GatewayException.invalid("messages", "Image data URL must look like data:<media type>;base64,<data>");
        }
        return new DataUrl(url.substring(5, semi), url.substring(comma + 1));
    }

    /**
     * An assistant tool call's {@code arguments} (a JSON string) as an object; empty means {}.
     * Anything else is the client's mistake, named by its place in the request.
     */
    public static ObjectNode toolArguments(JsonNode call, int message, int index) {
        String args = call.path("function").path("arguments").asText("");
        try {
            JsonNode parsed = args.isBlank() ? JSON.objectNode() : MAPPER.readTree(args);
            if (parsed != null && parsed.isObject()) {
                return (ObjectNode) parsed;
            }
        } catch (JsonProcessingException e) {
            // reported below
        }
        throw GatewayException.invalid("messages[" + message + "].tool_calls[" + index + "].function.arguments",
                "Tool call arguments must be a JSON object encoded as a string");
    }

    /** Adds every non-null request field outside {@code mapped} to {@code dropped}. */
    public static void nameUnmapped(ObjectNode request, Set<String> mapped, List<String> dropped) {
        Iterator<String> names = request.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!mapped.contains(name) && !request.get(name).isNull()) {
                dropped.add(name);
            }
        }
    }

    /**
     * Appends a turn, or merges it into the last one when that has the same role, for vendors that
     * want alternating turns. {@code itemsField} is where a turn keeps its items ("content", "parts").
     */
    public static void appendTurn(ArrayNode turns, String role, String itemsField, ArrayNode items) {
        if (items.isEmpty()) {
            return;
        }
        if (!turns.isEmpty()) {
            ObjectNode last = (ObjectNode) turns.get(turns.size() - 1);
            if (role.equals(last.path("role").asText())) {
                ((ArrayNode) last.get(itemsField)).addAll(items);
                return;
            }
        }
        ObjectNode turn = turns.addObject();
        turn.put("role", role);
        turn.set(itemsField, items);
    }
}
