package ai.infrastack.gateway.responses;

import ai.infrastack.gateway.api.UsageJson;
import ai.infrastack.gateway.catalog.ModelSpec;
import ai.infrastack.gateway.core.Completion;
import ai.infrastack.gateway.core.Cost;
import ai.infrastack.gateway.core.ExchangeKeys;
import ai.infrastack.gateway.core.Latency;
import ai.infrastack.gateway.streaming.ClientStream;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * Chat pipeline step for a Responses API request, after cost: the answer as a Response object — output items
 * (the assistant's text as a message with output_text, each tool call as a function_call), status, usage in the
 * Responses API's names, and the gateway's {@code provider}, {@code cost} and {@code latency} on the Response as on
 * a chat completion. For a stream the items are the ones its events carried. A stream that failed or was
 * abandoned gets no Response: its ending is written as it is.
 */
public final class ResponseAssembler implements Processor {
    private final ObjectMapper mapper;
    private final ResponseJson json;

    public ResponseAssembler(ObjectMapper mapper) {
        this.mapper = mapper;
        this.json = new ResponseJson(mapper);
    }

    @Override
    public void process(Exchange exchange) {
        ResponsesTurn turn = exchange.getProperty(ExchangeKeys.RESPONSES_TURN, ResponsesTurn.class);
        ModelSpec model = exchange.getProperty(ExchangeKeys.MODEL, ModelSpec.class);
        Completion completion = exchange.getProperty(ExchangeKeys.COMPLETION, Completion.class);
        Latency latency = Latency.of(exchange);
        exchange.setProperty(ExchangeKeys.LATENCY, latency);
        if (!completion.complete()) {
            return;
        }
        ArrayNode output;
        String finishReason;
        if (completion.streamed()) {
            output = exchange.getProperty(ExchangeKeys.CLIENT_STREAM, ClientStream.class)
                    .dialect(ResponseEventStream.class).output("completed");
            finishReason = completion.finishReason();
        } else {
            JsonNode choice = completion.choices().path(0);
            output = output(turn, choice.path("message"));
            finishReason = choice.path("finish_reason").asText(null);
        }
        ObjectNode response = json.skeleton(turn, model, "completed");
        json.complete(response, output, finishReason, completion.usage());
        Cost cost = exchange.getProperty(ExchangeKeys.COST, Cost.class);
        if (cost != null) {
            response.set("cost", UsageJson.cost(mapper, cost, completion.usage()));
        }
        response.set("latency", latency.toJson(mapper));
        exchange.setProperty(ExchangeKeys.RESPONSE_OBJECT, response);
    }

    /** A unary answer's message as output items: its text (when there is any), then each tool call. */
    private ArrayNode output(ResponsesTurn turn, JsonNode message) {
        String base = turn.responseId().substring("resp_".length());
        ArrayNode output = mapper.createArrayNode();
        JsonNode content = message.get("content");
        if (content != null && content.isTextual() && !content.asText().isEmpty()) {
            output.add(json.message("msg_" + base + "_" + output.size(), content.asText(), "completed"));
        }
        for (JsonNode call : message.path("tool_calls")) {
            JsonNode function = call.path("function");
            output.add(json.functionCall("fc_" + base + "_" + output.size(), call.path("id").asText(),
                    function.path("name").asText(), function.path("arguments").asText(""), "completed"));
        }
        return output;
    }
}
