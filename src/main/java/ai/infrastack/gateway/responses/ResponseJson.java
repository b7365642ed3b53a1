package ai.infrastack.gateway.responses;

import ai.infrastack.gateway.catalog.ModelSpec;
import ai.infrastack.gateway.core.Usage;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The Response object and its output items, in OpenAI's shape, the same for a unary answer, a stream's events
 * and what is stored. The request's fields a Response echoes come from the turn.
 */
final class ResponseJson {
    private final ObjectMapper mapper;

    ResponseJson(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /** A Response with no output yet, in {@code status}. */
    ObjectNode skeleton(ResponsesTurn turn, ModelSpec model, String status) {
        ObjectNode request = turn.request();
        ObjectNode r = mapper.createObjectNode();
        r.put("id", turn.responseId());
        r.put("object", "response");
        r.put("created_at", turn.createdAt());
        r.put("status", status);
        r.putNull("completed_at");
        r.putNull("error");
        r.putNull("incomplete_details");
        r.set("instructions", orNull(request.get("instructions")));
        r.put("model", model.id());
        r.put("provider", model.provider());
        r.putArray("output");
        r.put("parallel_tool_calls", request.path("parallel_tool_calls").asBoolean(true));
        r.set("metadata", request.path("metadata").isObject() ? request.get("metadata") : mapper.createObjectNode());
        r.set("previous_response_id", orNull(request.get("previous_response_id")));
        r.set("temperature", orNull(request.get("temperature")));
        r.set("top_p", orNull(request.get("top_p")));
        r.set("max_output_tokens", orNull(request.get("max_output_tokens")));
        JsonNode format = request.path("text").path("format");
        r.putObject("text").set("format", format.isObject() ? format : mapper.createObjectNode().put("type", "text"));
        r.set("tool_choice", request.hasNonNull("tool_choice") ? request.get("tool_choice") : mapper.getNodeFactory().textNode("auto"));
        r.set("tools", tools(request.get("tools")));
        r.put("truncation", "disabled");
        return r;
    }

    /** The function tools as a Response lists them (strict and parameters always present). */
    private ArrayNode tools(JsonNode tools) {
        ArrayNode out = mapper.createArrayNode();
        if (tools != null && tools.isArray()) {
            for (JsonNode tool : tools) {
                ObjectNode t = out.addObject().put("type", "function").put("name", tool.path("name").asText());
                t.set("description", orNull(tool.get("description")));
                t.set("parameters", orNull(tool.get("parameters")));
                t.set("strict", orNull(tool.get("strict")));
            }
        }
        return out;
    }

    ObjectNode message(String id, String text, String status) {
        ObjectNode item = mapper.createObjectNode();
        item.put("id", id);
        item.put("type", "message");
        item.put("status", status);
        item.put("role", "assistant");
        ArrayNode content = item.putArray("content");
        if (text != null) {
            content.add(textPart(text));
        }
        return item;
    }

    ObjectNode textPart(String text) {
        ObjectNode part = mapper.createObjectNode().put("type", "output_text").put("text", text);
        part.putArray("annotations");
        part.putArray("logprobs");
        return part;
    }

    ObjectNode functionCall(String id, String callId, String name, String arguments, String status) {
        return mapper.createObjectNode().put("id", id).put("type", "function_call").put("status", status)
                .put("call_id", callId).put("name", name).put("arguments", arguments);
    }

    ObjectNode usage(Usage u) {
        ObjectNode n = mapper.createObjectNode();
        n.put("input_tokens", u.promptTokens());
        n.putObject("input_tokens_details").put("cached_tokens", u.cacheRead()).put("cache_write_tokens", u.cacheWrite());
        n.put("output_tokens", u.completionTokens());
        n.putObject("output_tokens_details").put("reasoning_tokens", u.reasoning());
        n.put("total_tokens", u.totalTokens());
        if (u.estimated()) {
            n.put("estimated", true);
        }
        return n;
    }

    /** How a chat finish reason ends a Response: cut by the output limit or a filter is incomplete, else completed. */
    static String incompleteReason(String finishReason) {
        if ("length".equals(finishReason)) {
            return "max_output_tokens";
        }
        return "content_filter".equals(finishReason) ? "content_filter" : null;
    }

    /** Ends {@code response}: its status, output, completion time and usage. */
    void complete(ObjectNode response, ArrayNode output, String finishReason, Usage usage) {
        String incomplete = incompleteReason(finishReason);
        response.put("status", incomplete == null ? "completed" : "incomplete");
        if (incomplete != null) {
            response.putObject("incomplete_details").put("reason", incomplete);
        } else {
            response.put("completed_at", System.currentTimeMillis() / 1000);
        }
        response.set("output", output);
        response.set("usage", usage(usage));
    }

    private JsonNode orNull(JsonNode value) {
        return value == null ? mapper.nullNode() : value;
    }
}
