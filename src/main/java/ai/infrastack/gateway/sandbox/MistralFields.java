package ai.infrastack.gateway.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Mistral's request schema is pydantic with {@code extra="forbid"} at every depth: a field it does not know —
 * at the top level, on any message (per role), in a content part (per type), a tool call, a tool definition, a
 * response format — is a 422 {@code extra_forbidden}, one detail per field with its {@code loc} path (the role or
 * part type as pydantic's union tag, e.g. {@code ["body","messages",1,"assistant","refusal"]}) and its input.
 * Field lists follow Mistral's own SDK models (client-python {@code chatcompletionrequest},
 * {@code assistantmessage}, {@code toolcall}, {@code tool}, {@code responseformat}, content chunks).
 */
final class MistralFields {
    private static final Set<String> TOP = Set.of("model", "messages", "temperature", "top_p", "max_tokens",
            "stream", "stop", "random_seed", "metadata", "response_format", "tools", "tool_choice",
            "presence_penalty", "frequency_penalty", "n", "prediction", "parallel_tool_calls", "prompt_mode",
            "guardrails", "safe_prompt", "reasoning_effort", "prompt_cache_key");
    private static final Map<String, Set<String>> MESSAGE = Map.of(
            "system", Set.of("role", "content"),
            "user", Set.of("role", "content"),
            "assistant", Set.of("role", "content", "tool_calls", "prefix"),
            "tool", Set.of("role", "content", "tool_call_id", "name"));
    private static final Map<String, Set<String>> PART = Map.of(
            "text", Set.of("type", "text"),
            "image_url", Set.of("type", "image_url"),
            "document_url", Set.of("type", "document_url", "document_name"),
            "input_audio", Set.of("type", "input_audio"),
            "file", Set.of("type", "file_id"),
            "reference", Set.of("type", "reference_ids"),
            "thinking", Set.of("type", "thinking", "closed"));
    private static final Set<String> IMAGE_URL = Set.of("url", "detail");
    private static final Set<String> TOOL_CALL = Set.of("id", "type", "function", "index");
    private static final Set<String> FUNCTION_CALL = Set.of("name", "arguments");
    private static final Set<String> TOOL = Set.of("type", "function");
    private static final Set<String> FUNCTION = Set.of("name", "description", "strict", "parameters");
    private static final Set<String> TOOL_CHOICE = Set.of("type", "function");
    private static final Set<String> TOOL_CHOICE_FUNCTION = Set.of("name");
    private static final Set<String> RESPONSE_FORMAT = Set.of("type", "json_schema");
    private static final Set<String> JSON_SCHEMA = Set.of("name", "description", "schema", "strict");
    private static final Set<String> PREDICTION = Set.of("type", "content");

    private final List<ObjectNode> details = new ArrayList<>();

    private MistralFields() {
    }

    /** One {@code extra_forbidden} detail per unknown field, in body order; empty when every field is known. */
    static List<ObjectNode> extra(JsonNode root) {
        MistralFields check = new MistralFields();
        check.object(root, TOP, List.of("body"));
        JsonNode messages = root.get("messages");
        if (messages != null && messages.isArray()) {
            for (int i = 0; i < messages.size(); i++) {
                check.message(messages.get(i), List.of("body", "messages", i));
            }
        }
        JsonNode tools = root.get("tools");
        if (tools != null && tools.isArray()) {
            for (int i = 0; i < tools.size(); i++) {
                List<Object> at = List.of("body", "tools", i);
                check.object(tools.get(i), TOOL, at);
                check.object(tools.get(i).get("function"), FUNCTION, append(at, "function"));
            }
        }
        JsonNode toolChoice = root.get("tool_choice");
        if (toolChoice != null && toolChoice.isObject()) {
            check.object(toolChoice, TOOL_CHOICE, List.of("body", "tool_choice"));
            check.object(toolChoice.get("function"), TOOL_CHOICE_FUNCTION, List.of("body", "tool_choice", "function"));
        }
        JsonNode format = root.get("response_format");
        check.object(format, RESPONSE_FORMAT, List.of("body", "response_format"));
        if (format != null) {
            check.object(format.get("json_schema"), JSON_SCHEMA, List.of("body", "response_format", "json_schema"));
        }
        check.object(root.get("prediction"), PREDICTION, List.of("body", "prediction"));
        return check.details;
    }

    private void message(JsonNode message, List<Object> at) {
        String role = message.path("role").asText();
        Set<String> fields = MESSAGE.get(role);
        if (fields == null) {
            return; // an unknown role is ChatCompletionsRequest's error
        }
        List<Object> tagged = append(at, role);
        object(message, fields, tagged);
        JsonNode content = message.get("content");
        if (content != null && content.isArray()) {
            for (int j = 0; j < content.size(); j++) {
                JsonNode part = content.get(j);
                String type = part.path("type").asText();
                Set<String> partFields = PART.get(type);
                if (partFields != null) {
                    List<Object> partAt = append(append(append(tagged, "content"), j), type);
                    object(part, partFields, partAt);
                    if ("image_url".equals(type) && part.path("image_url").isObject()) {
                        object(part.get("image_url"), IMAGE_URL, append(partAt, "image_url"));
                    }
                }
            }
        }
        JsonNode calls = message.get("tool_calls");
        if ("assistant".equals(role) && calls != null && calls.isArray()) {
            for (int j = 0; j < calls.size(); j++) {
                List<Object> callAt = append(append(tagged, "tool_calls"), j);
                object(calls.get(j), TOOL_CALL, callAt);
                object(calls.get(j).get("function"), FUNCTION_CALL, append(callAt, "function"));
            }
        }
    }

    private void object(JsonNode node, Set<String> known, List<Object> at) {
        if (node == null || !node.isObject()) {
            return;
        }
        for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            if (!known.contains(field.getKey())) {
                ObjectNode detail = SandboxJson.object();
                detail.put("type", "extra_forbidden");
                ArrayNode loc = detail.putArray("loc");
                for (Object step : append(at, field.getKey())) {
                    if (step instanceof Integer index) {
                        loc.add(index);
                    } else {
                        loc.add(step.toString());
                    }
                }
                detail.put("msg", "Extra inputs are not permitted");
                detail.set("input", field.getValue());
                details.add(detail);
            }
        }
    }

    private static List<Object> append(List<Object> path, Object step) {
        List<Object> out = new ArrayList<>(path);
        out.add(step);
        return out;
    }
}
