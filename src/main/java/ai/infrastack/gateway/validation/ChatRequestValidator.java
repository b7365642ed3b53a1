package ai.infrastack.gateway.validation;

import ai.infrastack.gateway.core.ExchangeKeys;
import ai.infrastack.gateway.core.GatewayException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import java.util.Set;

/**
 * Pipeline step: parses the body of a chat completion request and checks every field of the
 * spec's {@code UnifiedRequest} for type and range, before anything is sent upstream. A failure
 * is a 400 {@code invalid_request_error} naming the offending {@code param}; an oversized body is 413.
 */
public final class ChatRequestValidator implements Processor {
    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");
    private static final Set<String> TOOL_CHOICE_WORDS = Set.of("none", "auto", "required");
    private static final Set<String> STRATEGIES = Set.of("cost", "speed", "quality", "auto");

    private final JsonRequestBody body;

    public ChatRequestValidator(JsonRequestBody body) {
        this.body = body;
    }

    @Override
    public void process(Exchange exchange) {
        ObjectNode request = exchange.getProperty(ExchangeKeys.CHAT_REQUEST, ObjectNode.class);
        if (request == null) {
            request = body.read(exchange, "'model' and 'messages'");
        }
        validate(request);
        exchange.setProperty(ExchangeKeys.CHAT_REQUEST, request);
        exchange.getMessage().setBody(null);
    }

    void validate(ObjectNode r) {
        JsonNode model = r.get("model");
        if (model == null || model.isNull()) {
            throw GatewayException.invalid("model", "Missing required parameter: 'model'");
        }
        if (!model.isTextual() || model.asText().isBlank()) {
            throw GatewayException.invalid("model", "'model' must be a non-empty string");
        }
        validateMessages(r.get("messages"));
        number(r, "temperature", 0, 2);
        number(r, "top_p", 0, 1);
        number(r, "frequency_penalty", -2, 2);
        number(r, "presence_penalty", -2, 2);
        positiveInt(r, "max_tokens");
        positiveInt(r, "max_completion_tokens");
        positiveInt(r, "n");
        validateStop(r.get("stop"));
        bool(r, "stream");
        text(r, "user");
        validateTools(r.get("tools"));
        validateToolChoice(r.get("tool_choice"));
        validateRouting(r.get("routing"));
        validateBudget(r.get("budget"));
        validateResponseOptions(r.get("response"));
    }

    private static void validateMessages(JsonNode messages) {
        if (messages == null || messages.isNull()) {
            throw GatewayException.invalid("messages", "Missing required parameter: 'messages'");
        }
        if (!messages.isArray()) {
            throw GatewayException.invalid("messages", "'messages' must be an array of message objects");
        }
        if (messages.isEmpty()) {
            throw GatewayException.invalid("messages", "'messages' must contain at least one message");
        }
        for (int i = 0; i < messages.size(); i++) {
            validateMessage(messages.get(i), "messages[" + i + "]");
        }
    }

    private static void validateMessage(JsonNode m, String at) {
        if (!m.isObject()) {
            throw GatewayException.invalid(at, at + " must be an object");
        }
        JsonNode role = m.get("role");
        if (role == null || !role.isTextual() || !ROLES.contains(role.asText())) {
            throw GatewayException.invalid(at + ".role", at + ".role must be one of " + ROLES);
        }
        JsonNode content = m.get("content");
        boolean hasToolCalls = m.has("tool_calls") && !m.get("tool_calls").isNull();
        if (content == null || content.isNull()) {
            if (!("assistant".equals(role.asText()) && hasToolCalls)) {
                throw GatewayException.invalid(at + ".content", at + ".content is required");
            }
        } else if (content.isArray()) {
            for (int p = 0; p < content.size(); p++) {
                validatePart(content.get(p), at + ".content[" + p + "]");
            }
        } else if (!content.isTextual()) {
            throw GatewayException.invalid(at + ".content", at + ".content must be a string or an array of content parts");
        }
        if (hasToolCalls) {
            JsonNode calls = m.get("tool_calls");
            if (!calls.isArray()) {
                throw GatewayException.invalid(at + ".tool_calls", at + ".tool_calls must be an array");
            }
            for (int c = 0; c < calls.size(); c++) {
                JsonNode call = calls.get(c);
                String cat = at + ".tool_calls[" + c + "]";
                if (!call.path("id").isTextual() || !call.path("function").path("name").isTextual()) {
                    throw GatewayException.invalid(cat, cat + " needs 'id' and 'function.name' strings");
                }
                JsonNode args = call.path("function").get("arguments");
                if (args != null && !args.isNull() && !args.isTextual()) {
                    throw GatewayException.invalid(cat + ".function.arguments", cat + ".function.arguments must be a JSON string");
                }
            }
        }
        if ("tool".equals(role.asText()) && !m.path("tool_call_id").isTextual()) {
            throw GatewayException.invalid(at + ".tool_call_id", at + ".tool_call_id is required for role 'tool'");
        }
        JsonNode name = m.get("name");
        if (name != null && !name.isNull() && !name.isTextual()) {
            throw GatewayException.invalid(at + ".name", at + ".name must be a string");
        }
    }

    private static void validatePart(JsonNode part, String at) {
        String type = part.path("type").asText("");
        switch (type) {
            case "text" -> {
                if (!part.path("text").isTextual()) {
                    throw GatewayException.invalid(at + ".text", at + ".text must be a string");
                }
            }
            case "image_url" -> {
                JsonNode image = part.path("image_url");
                String url = image.isTextual() ? image.asText() : image.path("url").asText("");
                if (url.isEmpty()) {
                    throw GatewayException.invalid(at + ".image_url.url", at + ".image_url.url must be a URL or a data URL");
                }
            }
            default -> throw GatewayException.invalid(at + ".type", at + ".type must be 'text' or 'image_url'");
        }
    }

    private static void validateStop(JsonNode stop) {
        if (stop == null || stop.isNull() || stop.isTextual()) {
            return;
        }
        if (!stop.isArray() || stop.size() > 4) {
            throw GatewayException.invalid("stop", "'stop' must be a string or an array of at most 4 strings");
        }
        for (JsonNode s : stop) {
            if (!s.isTextual()) {
                throw GatewayException.invalid("stop", "'stop' must be a string or an array of at most 4 strings");
            }
        }
    }

    private static void validateTools(JsonNode tools) {
        if (tools == null || tools.isNull()) {
            return;
        }
        if (!tools.isArray()) {
            throw GatewayException.invalid("tools", "'tools' must be an array");
        }
        for (int i = 0; i < tools.size(); i++) {
            JsonNode t = tools.get(i);
            String at = "tools[" + i + "]";
            if (!"function".equals(t.path("type").asText())) {
                throw GatewayException.invalid(at + ".type", at + ".type must be 'function'");
            }
            if (!t.path("function").path("name").isTextual() || t.path("function").path("name").asText().isBlank()) {
                throw GatewayException.invalid(at + ".function.name", at + ".function.name must be a non-empty string");
            }
            JsonNode params = t.path("function").get("parameters");
            if (params != null && !params.isNull() && !params.isObject()) {
                throw GatewayException.invalid(at + ".function.parameters", at + ".function.parameters must be a JSON Schema object");
            }
        }
    }

    private static void validateToolChoice(JsonNode choice) {
        if (choice == null || choice.isNull()) {
            return;
        }
        if (choice.isTextual() && TOOL_CHOICE_WORDS.contains(choice.asText())) {
            return;
        }
        if (choice.isObject() && "function".equals(choice.path("type").asText())
                && choice.path("function").path("name").isTextual()) {
            return;
        }
        throw GatewayException.invalid("tool_choice",
                "'tool_choice' must be 'none', 'auto', 'required' or {\"type\":\"function\",\"function\":{\"name\":...}}");
    }

    private static void validateRouting(JsonNode routing) {
        if (routing == null || routing.isNull()) {
            return;
        }
        requireObject(routing, "routing");
        JsonNode strategy = routing.get("strategy");
        if (strategy != null && !strategy.isNull() && !(strategy.isTextual() && STRATEGIES.contains(strategy.asText()))) {
            throw GatewayException.invalid("routing.strategy", "'routing.strategy' must be one of " + STRATEGIES);
        }
        nonNegative(routing, "max_cost_per_1k_tokens", "routing.");
        nonNegative(routing, "max_latency_ms", "routing.");
        stringList(routing, "preferred_providers", "routing.");
        stringList(routing, "fallback_models", "routing.");
        JsonNode caching = routing.get("enable_caching");
        if (caching != null && !caching.isNull() && !caching.isBoolean()) {
            throw GatewayException.invalid("routing.enable_caching", "'routing.enable_caching' must be a boolean");
        }
    }

    private static void validateBudget(JsonNode budget) {
        if (budget == null || budget.isNull()) {
            return;
        }
        requireObject(budget, "budget");
        nonNegative(budget, "max_cost", "budget.");
        nonNegative(budget, "cost_alert_threshold", "budget.");
        for (String f : new String[] {"tracking_id", "user_id", "project_id"}) {
            JsonNode v = budget.get(f);
            if (v != null && !v.isNull() && !v.isTextual()) {
                throw GatewayException.invalid("budget." + f, "'budget." + f + "' must be a string");
            }
        }
    }

    private static void validateResponseOptions(JsonNode response) {
        if (response == null || response.isNull()) {
            return;
        }
        requireObject(response, "response");
        for (String f : new String[] {"include_usage", "include_cost", "include_latency", "include_model_info"}) {
            JsonNode v = response.get(f);
            if (v != null && !v.isNull() && !v.isBoolean()) {
                throw GatewayException.invalid("response." + f, "'response." + f + "' must be a boolean");
            }
        }
    }

    private static void requireObject(JsonNode node, String name) {
        if (!node.isObject()) {
            throw GatewayException.invalid(name, "'" + name + "' must be an object");
        }
    }

    private static void number(ObjectNode r, String field, double min, double max) {
        JsonNode v = r.get(field);
        if (v == null || v.isNull()) {
            return;
        }
        if (!v.isNumber()) {
            throw GatewayException.invalid(field, "'" + field + "' must be a number");
        }
        double d = v.asDouble();
        if (!(d >= min && d <= max)) {
            throw GatewayException.invalid(field, "'" + field + "' must be between " + fmt(min) + " and " + fmt(max) + ", got " + v.asText());
        }
    }

    private static void positiveInt(ObjectNode r, String field) {
        JsonNode v = r.get(field);
        if (v == null || v.isNull()) {
            return;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 1) {
            throw GatewayException.invalid(field, "'" + field + "' must be a positive integer");
        }
    }

    private static void nonNegative(JsonNode r, String field, String prefix) {
        JsonNode v = r.get(field);
        if (v == null || v.isNull()) {
            return;
        }
        if (!v.isNumber() || v.asDouble() < 0 || Double.isInfinite(v.asDouble())) {
            throw GatewayException.invalid(prefix + field, "'" + prefix + field + "' must be a non-negative number");
        }
    }

    private static void stringList(JsonNode r, String field, String prefix) {
        JsonNode v = r.get(field);
        if (v == null || v.isNull()) {
            return;
        }
        boolean ok = v.isArray();
        for (JsonNode s : v) {
            ok &= s.isTextual();
        }
        if (!ok) {
            throw GatewayException.invalid(prefix + field, "'" + prefix + field + "' must be an array of strings");
        }
    }

    private static void bool(ObjectNode r, String field) {
        JsonNode v = r.get(field);
        if (v != null && !v.isNull() && !v.isBoolean()) {
            throw GatewayException.invalid(field, "'" + field + "' must be a boolean");
        }
    }

    private static void text(ObjectNode r, String field) {
        JsonNode v = r.get(field);
        if (v != null && !v.isNull() && !v.isTextual()) {
            throw GatewayException.invalid(field, "'" + field + "' must be a string");
        }
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }
}
