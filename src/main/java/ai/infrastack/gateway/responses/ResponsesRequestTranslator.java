package ai.infrastack.gateway.responses;

import ai.infrastack.gateway.auth.Caller;
import ai.infrastack.gateway.core.ExchangeKeys;
import ai.infrastack.gateway.core.GatewayException;
import ai.infrastack.gateway.streaming.StreamDialect;
import ai.infrastack.gateway.validation.JsonRequestBody;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import java.util.Map;
import java.util.Set;

/**
 * Chat pipeline step, after authentication: a Responses API request (POST /api/v1/responses) becomes the chat
 * request the rest of the pipeline validates, routes, prices and records — the Responses API has no path of its
 * own. {@code previous_response_id} and {@code item_reference} items are resolved here, within the caller's
 * scope. What the gateway cannot honour is a 400 naming the parameter, never silently dropped. Requests that came
 * in any other way pass untouched.
 */
public final class ResponsesRequestTranslator implements Processor {
    private static final Set<String> ACCEPTED = Set.of("model", "input", "instructions", "tools", "tool_choice",
            "max_output_tokens", "temperature", "top_p", "text", "stream", "stream_options", "store", "metadata",
            "previous_response_id", "parallel_tool_calls", "user", "safety_identifier", "prompt_cache_key",
            "prompt_cache_retention", "truncation", "service_tier", "include");
    /** Parameters of OpenAI's API the gateway does not carry, and why; sent with a value, they are refused. */
    private static final Map<String, String> REFUSED = Map.of(
            "background", "background responses are not supported",
            "conversation", "conversations are not supported; continue with previous_response_id",
            "prompt", "prompt templates are not supported",
            "reasoning", "reasoning options are not supported",
            "top_logprobs", "logprobs are not supported",
            "max_tool_calls", "max_tool_calls is not supported",
            "context_management", "context management is not supported");

    private final ObjectMapper mapper;
    private final JsonRequestBody body;
    private final ResponseStore store;
    private final InputItems items;

    public ResponsesRequestTranslator(ObjectMapper mapper, JsonRequestBody body, ResponseStore store) {
        this.mapper = mapper;
        this.body = body;
        this.store = store;
        this.items = new InputItems(mapper);
    }

    @Override
    public void process(Exchange exchange) {
        if (!Boolean.TRUE.equals(exchange.getProperty(ExchangeKeys.RESPONSES_API, Boolean.class))) {
            return;
        }
        ObjectNode request = body.read(exchange, "'model' and 'input'");
        checkParameters(request);
        String scope = scope(exchange.getProperty(ExchangeKeys.CALLER, Caller.class));
        ArrayNode context = context(request, scope);
        String requestId = exchange.getProperty(ExchangeKeys.REQUEST_ID, String.class);
        ResponsesTurn turn = new ResponsesTurn("resp_" + requestId.substring(4), request, context, scope,
                request.path("store").asBoolean(true), System.currentTimeMillis() / 1000);
        ObjectNode chat = chatRequest(request, context);
        exchange.setProperty(ExchangeKeys.RESPONSES_TURN, turn);
        exchange.setProperty(ExchangeKeys.CHAT_REQUEST, chat);
        if (chat.path("stream").asBoolean(false)) {
            exchange.setProperty(ExchangeKeys.STREAM_DIALECT,
                    (StreamDialect.Factory) (id, model) -> new ResponseEventStream(mapper, turn, model));
        }
        exchange.getMessage().setBody(null);
    }

    /** A project's stored responses are shared by its keys; a key without a project has its own. */
    static String scope(Caller caller) {
        if (caller == null) {
            return "anonymous";
        }
        return caller.projectId() != null ? "project:" + caller.projectId() : "key:" + caller.keyId();
    }

    private static void checkParameters(ObjectNode request) {
        request.fieldNames().forEachRemaining(name -> {
            JsonNode value = request.get(name);
            if (REFUSED.containsKey(name)) {
                if (!value.isNull() && !(value.isBoolean() && !value.asBoolean()) && !(value.isContainerNode() && value.isEmpty())) {
                    throw GatewayException.invalid(name, "'" + name + "': " + REFUSED.get(name) + " by this gateway");
                }
            } else if (!ACCEPTED.contains(name)) {
                throw GatewayException.invalid(name, "Unrecognized request argument supplied: " + name);
            }
        });
        if (request.path("include").isArray() && !request.get("include").isEmpty()) {
            throw GatewayException.invalid("include", "'include' values are not supported by this gateway");
        }
        if ("auto".equals(request.path("truncation").asText())) {
            throw GatewayException.invalid("truncation", "'truncation: auto' is not supported by this gateway; only 'disabled'");
        }
        String tier = request.path("service_tier").asText("auto");
        if (!request.path("service_tier").isNull() && !Set.of("auto", "default").contains(tier)) {
            throw GatewayException.invalid("service_tier", "'service_tier' must be 'auto' or 'default' on this gateway");
        }
        if (request.path("text").path("verbosity").isTextual()) {
            throw GatewayException.invalid("text.verbosity", "'text.verbosity' is not supported by this gateway");
        }
        JsonNode model = request.get("model");
        if (model == null || !model.isTextual() || model.asText().isBlank()) {
            throw GatewayException.invalid("model", "Missing required parameter: 'model' (a non-empty string)");
        }
        JsonNode input = request.get("input");
        if (input == null || !(input.isTextual() || input.isArray())) {
            throw GatewayException.invalid("input", "'input' is required: a string or an array of input items");
        }
        JsonNode limit = request.get("max_output_tokens");
        if (limit != null && !limit.isNull() && !(limit.canConvertToInt() && limit.isIntegralNumber() && limit.asInt() > 0)) {
            throw GatewayException.invalid("max_output_tokens", "'max_output_tokens' must be a positive integer");
        }
        if (request.has("store") && !request.get("store").isBoolean() && !request.get("store").isNull()) {
            throw GatewayException.invalid("store", "'store' must be a boolean");
        }
    }

    /** The conversation so far: the previous response's context and output, then this input, references resolved. */
    private ArrayNode context(ObjectNode request, String scope) {
        ArrayNode context = mapper.createArrayNode();
        JsonNode previous = request.get("previous_response_id");
        if (previous != null && !previous.isNull()) {
            ResponseStore.Stored stored = store.find(scope, previous.asText()).orElseThrow(() -> GatewayException.invalid(
                    "previous_response_id", "Previous response with id '" + previous.asText() + "' not found: responses are kept"
                            + " when created with store: true, for the project (or key) that created them, until their retention ends"));
            context.addAll(stored.context());
            context.addAll((ArrayNode) stored.response().path("output"));
        }
        JsonNode input = request.get("input");
        if (input.isTextual()) {
            context.addObject().put("type", "message").put("role", "user").put("content", input.asText());
            return context;
        }
        for (int i = 0; i < input.size(); i++) {
            JsonNode item = input.get(i);
            if (!item.isObject()) {
                throw GatewayException.invalid("input[" + i + "]", "input[" + i + "] must be an object");
            }
            if ("item_reference".equals(item.path("type").asText())) {
                String id = item.path("id").asText();
                String at = "input[" + i + "].id";
                context.add(store.item(scope, id).orElseThrow(() -> GatewayException.invalid(at,
                        "Item with id '" + id + "' not found: only output items of responses stored (store: true) for this"
                                + " project (or key) can be referenced")));
            } else if (!item.has("type") && item.has("role")) {
                ObjectNode message = mapper.createObjectNode().put("type", "message");
                message.setAll((ObjectNode) item);
                context.add(message);
            } else {
                context.add(item);
            }
        }
        return context;
    }

    private ObjectNode chatRequest(ObjectNode request, ArrayNode context) {
        ObjectNode chat = mapper.createObjectNode();
        chat.put("model", request.get("model").asText());
        JsonNode instructions = request.get("instructions");
        if (instructions != null && !instructions.isNull() && !instructions.isTextual()) {
            throw GatewayException.invalid("instructions", "'instructions' must be a string");
        }
        chat.set("messages", items.messages(instructions == null || instructions.isNull() ? null : instructions.asText(), context));
        copy(request, "temperature", chat, "temperature");
        copy(request, "top_p", chat, "top_p");
        copy(request, "max_output_tokens", chat, "max_completion_tokens");
        copy(request, "parallel_tool_calls", chat, "parallel_tool_calls");
        copy(request, "stream", chat, "stream");
        copy(request, request.hasNonNull("user") ? "user" : "safety_identifier", chat, "user");
        JsonNode tools = request.get("tools");
        if (tools != null && !tools.isNull()) {
            chat.set("tools", tools(tools));
        }
        JsonNode choice = request.get("tool_choice");
        if (choice != null && !choice.isNull()) {
            chat.set("tool_choice", toolChoice(choice));
        }
        JsonNode format = request.path("text").path("format");
        if (format.isObject()) {
            ObjectNode responseFormat = responseFormat(format);
            if (responseFormat != null) {
                chat.set("response_format", responseFormat);
            }
        }
        return chat;
    }

    private static void copy(ObjectNode from, String name, ObjectNode to, String as) {
        JsonNode value = from.get(name);
        if (value != null && !value.isNull()) {
            to.set(as, value);
        }
    }

    /** Function tools in chat's shape; OpenAI's built-in tools cannot be carried to other providers. */
    private ArrayNode tools(JsonNode tools) {
        if (!tools.isArray()) {
            throw GatewayException.invalid("tools", "'tools' must be an array of function tools");
        }
        ArrayNode out = mapper.createArrayNode();
        for (int i = 0; i < tools.size(); i++) {
            JsonNode tool = tools.get(i);
            String type = tool.path("type").asText();
            if (!"function".equals(type)) {
                throw GatewayException.invalid("tools[" + i + "].type", "Built-in tool '" + type + "' is not supported by this"
                        + " gateway: only function tools are, on every provider");
            }
            if (!tool.path("name").isTextual()) {
                throw GatewayException.invalid("tools[" + i + "].name", "tools[" + i + "].name must be a string");
            }
            ObjectNode function = mapper.createObjectNode().put("name", tool.get("name").asText());
            for (String field : new String[] {"description", "parameters", "strict"}) {
                copy((ObjectNode) tool, field, function, field);
            }
            out.addObject().put("type", "function").set("function", function);
        }
        return out;
    }

    private JsonNode toolChoice(JsonNode choice) {
        if (choice.isTextual()) {
            return choice; // none, auto, required: the chat validator checks the word
        }
        if ("function".equals(choice.path("type").asText()) && choice.path("name").isTextual()) {
            ObjectNode named = mapper.createObjectNode().put("type", "function");
            named.putObject("function").put("name", choice.get("name").asText());
            return named;
        }
        throw GatewayException.invalid("tool_choice", "'tool_choice' must be none, auto, required or {type: function, name}"
                + " on this gateway (built-in tools and allowed_tools are not supported)");
    }

    /** {@code text.format} as chat's {@code response_format}; plain text needs none. */
    private ObjectNode responseFormat(JsonNode format) {
        String type = format.path("type").asText();
        switch (type) {
            case "text":
                return null;
            case "json_object":
                return mapper.createObjectNode().put("type", "json_object");
            case "json_schema": {
                if (!format.path("name").isTextual() || !format.path("schema").isObject()) {
                    throw GatewayException.invalid("text.format", "'text.format' of type json_schema needs 'name' and 'schema'");
                }
                ObjectNode schema = mapper.createObjectNode().put("name", format.get("name").asText());
                schema.set("schema", format.get("schema"));
                copy((ObjectNode) format, "description", schema, "description");
                copy((ObjectNode) format, "strict", schema, "strict");
                ObjectNode out = mapper.createObjectNode().put("type", "json_schema");
                out.set("json_schema", schema);
                return out;
            }
            default:
                throw GatewayException.invalid("text.format.type", "'text.format.type' must be text, json_object or json_schema");
        }
    }
}
