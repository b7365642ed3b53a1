package ai.infrastack.gateway.responses;

import ai.infrastack.gateway.core.GatewayException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Set;

/**
 * A Responses conversation (instructions and input items) as chat messages: messages keep their role, input
 * parts become content parts, {@code function_call} items become the assistant's {@code tool_calls} (consecutive
 * calls in one assistant message, as chat has them) and {@code function_call_output} items tool messages.
 * Reasoning items are left out: they are one vendor's opaque state, no other provider can read them.
 */
final class InputItems {
    private static final Set<String> ROLES = Set.of("user", "system", "developer", "assistant");

    private final ObjectMapper mapper;

    InputItems(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /** The chat messages for {@code instructions} (may be null) and the items, which hold no references. */
    ArrayNode messages(String instructions, ArrayNode items) {
        ArrayNode messages = mapper.createArrayNode();
        if (instructions != null) {
            messages.addObject().put("role", "system").put("content", instructions);
        }
        for (int i = 0; i < items.size(); i++) {
            JsonNode item = items.get(i);
            String at = "input[" + i + "]";
            switch (item.path("type").asText("message")) {
                case "message" -> messages.add(message(item, at));
                case "function_call" -> toolCall(messages, item, at);
                case "function_call_output" -> messages.add(toolResult(item, at));
                case "reasoning" -> { }
                default -> throw GatewayException.invalid(at + ".type", "Input items of type '" + item.path("type").asText()
                        + "' are not supported: use messages, function_call and function_call_output items");
            }
        }
        return messages;
    }

    private ObjectNode message(JsonNode item, String at) {
        String role = item.path("role").asText();
        if (!ROLES.contains(role)) {
            throw GatewayException.invalid(at + ".role", at + ".role must be one of " + ROLES);
        }
        ObjectNode message = mapper.createObjectNode().put("role", role);
        JsonNode content = item.get("content");
        if (content != null && content.isTextual()) {
            return message.put("content", content.asText());
        }
        if (content == null || !content.isArray()) {
            throw GatewayException.invalid(at + ".content", at + ".content must be a string or an array of content parts");
        }
        ArrayNode parts = mapper.createArrayNode();
        StringBuilder text = new StringBuilder();
        boolean onlyText = true;
        for (int p = 0; p < content.size(); p++) {
            ObjectNode part = part(content.get(p), at + ".content[" + p + "]");
            if ("text".equals(part.path("type").asText())) {
                text.append(part.path("text").asText());
            } else {
                onlyText = false;
            }
            parts.add(part);
        }
        // Plain text as a string: what every vendor takes for system and assistant turns.
        return onlyText ? message.put("content", text.toString()) : message.set("content", parts);
    }

    private ObjectNode part(JsonNode part, String at) {
        String type = part.path("type").asText();
        return switch (type) {
            case "input_text", "output_text" -> mapper.createObjectNode().put("type", "text").put("text", text(part, at));
            case "refusal" -> mapper.createObjectNode().put("type", "text").put("text", part.path("refusal").asText());
            case "input_image" -> image(part, at);
            default -> throw GatewayException.invalid(at + ".type", "Content parts of type '" + type
                    + "' are not supported: use input_text, input_image (by image_url) or output_text");
        };
    }

    private static String text(JsonNode part, String at) {
        if (!part.path("text").isTextual()) {
            throw GatewayException.invalid(at + ".text", at + ".text must be a string");
        }
        return part.get("text").asText();
    }

    private ObjectNode image(JsonNode part, String at) {
        if (!part.path("image_url").isTextual()) {
            throw GatewayException.invalid(at + ".image_url", "Images are accepted by image_url (an https or data URL); file_id is not supported");
        }
        ObjectNode image = mapper.createObjectNode().put("url", part.get("image_url").asText());
        if (part.path("detail").isTextual()) {
            image.put("detail", part.get("detail").asText());
        }
        ObjectNode out = mapper.createObjectNode().put("type", "image_url");
        out.set("image_url", image);
        return out;
    }

    /** Joins the assistant message or tool calls just before it, so one turn stays one assistant message. */
    private void toolCall(ArrayNode messages, JsonNode item, String at) {
        for (String field : new String[] {"call_id", "name", "arguments"}) {
            if (!item.path(field).isTextual()) {
                throw GatewayException.invalid(at + "." + field, at + "." + field + " must be a string");
            }
        }
        ObjectNode assistant;
        JsonNode last = messages.isEmpty() ? null : messages.get(messages.size() - 1);
        if (last != null && "assistant".equals(last.path("role").asText()) && !last.path("content").isArray()) {
            assistant = (ObjectNode) last;
        } else {
            assistant = messages.addObject().put("role", "assistant").putNull("content");
        }
        ArrayNode calls = assistant.has("tool_calls") ? (ArrayNode) assistant.get("tool_calls") : assistant.putArray("tool_calls");
        ObjectNode call = calls.addObject().put("id", item.get("call_id").asText()).put("type", "function");
        call.putObject("function").put("name", item.get("name").asText()).put("arguments", item.get("arguments").asText());
    }

    private ObjectNode toolResult(JsonNode item, String at) {
        if (!item.path("call_id").isTextual()) {
            throw GatewayException.invalid(at + ".call_id", at + ".call_id must be a string");
        }
        JsonNode output = item.get("output");
        String text;
        if (output != null && output.isTextual()) {
            text = output.asText();
        } else if (output != null && output.isArray()) {
            StringBuilder joined = new StringBuilder();
            for (int p = 0; p < output.size(); p++) {
                joined.append(text(output.get(p), at + ".output[" + p + "]"));
            }
            text = joined.toString();
        } else {
            throw GatewayException.invalid(at + ".output", at + ".output must be a string or an array of input_text parts");
        }
        return mapper.createObjectNode().put("role", "tool").put("tool_call_id", item.get("call_id").asText()).put("content", text);
    }
}
