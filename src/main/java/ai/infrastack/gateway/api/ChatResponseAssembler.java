package ai.infrastack.gateway.api;

import ai.infrastack.gateway.catalog.ModelSpec;
import ai.infrastack.gateway.core.Completion;
import ai.infrastack.gateway.core.Cost;
import ai.infrastack.gateway.core.ExchangeKeys;
import ai.infrastack.gateway.core.Latency;
import ai.infrastack.gateway.core.ResponseHeaders;
import ai.infrastack.gateway.routing.RoutingDecision;
import ai.infrastack.gateway.streaming.ChunkEncoder;
import ai.infrastack.gateway.streaming.ClientStream;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import java.util.ArrayList;
import java.util.List;

/**
 * Renders the answer, unary or streamed, once the pipeline's closing steps have run: the
 * OpenAI-shaped completion plus the gateway's {@code provider}, {@code usage}, {@code cost},
 * {@code latency} (and, on request, {@code routing}) objects — or, for a stream, its last chunk
 * carrying the same objects and {@code [DONE]}, or the error event of a stream that broke (and
 * no {@code [DONE]}, so a cut answer never looks whole). The {@code response.include_*} switches
 * are applied here, and only here.
 */
public final class ChatResponseAssembler implements Processor {
    private final ObjectMapper mapper;

    public ChatResponseAssembler(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        ObjectNode request = exchange.getProperty(ExchangeKeys.CHAT_REQUEST, ObjectNode.class);
        ModelSpec model = exchange.getProperty(ExchangeKeys.MODEL, ModelSpec.class);
        Completion completion = exchange.getProperty(ExchangeKeys.COMPLETION, Completion.class);
        Cost cost = exchange.getProperty(ExchangeKeys.COST, Cost.class);
        Latency latency = Latency.of(exchange);
        exchange.setProperty(ExchangeKeys.LATENCY, latency);
        ResponseOptions options = ResponseOptions.of(request);

        if (!completion.streamed()) {
            ObjectNode out = mapper.createObjectNode();
            out.put("id", completion.id());
            out.put("object", "chat.completion");
            out.put("created", completion.created());
            out.put("model", model.id());
            out.put("provider", model.provider());
            out.set("choices", completion.choices());
            addExtras(out, options, completion, cost, latency, model, exchange);
            ResponseHeaders.reset(exchange, 200);
            exchange.getMessage().setBody(mapper.writeValueAsBytes(out));
            return;
        }
        ClientStream client = exchange.getProperty(ExchangeKeys.CLIENT_STREAM, ClientStream.class);
        switch (completion.ending()) {
            case COMPLETE -> {
                ChunkEncoder encoder = client.dialect(ChunkEncoder.class);
                client.finish(encoder.events(lastChunks(encoder, request, options, completion, cost, latency, model, exchange), true));
            }
            case FAILED -> client.fail(ErrorBody.of(mapper, completion.failure(),
                    exchange.getProperty(ExchangeKeys.REQUEST_ID, String.class)));
            case ABANDONED -> client.abandon();
        }
        exchange.getMessage().setBody(null);
    }

    /**
     * The finish chunk as OpenAI sends it (finish reason, empty delta), then one last chunk carrying usage, cost
     * and latency. With {@code stream_options.include_usage} that is OpenAI's own usage chunk ({@code choices: []});
     * without it, the last chunk keeps one choice with an empty delta and no finish reason, so a client that reads
     * {@code choices[0].delta} of every chunk (the spec's example) keeps working. Usage is never on the finish
     * chunk: the official Java SDK's ChatCompletionAccumulator takes any chunk with usage for the final usage chunk
     * and would drop that chunk's finish reason. The Node SDK's accumulator ignores a null finish reason.
     */
    private List<ObjectNode> lastChunks(ChunkEncoder encoder, ObjectNode request, ResponseOptions options, Completion completion,
                                        Cost cost, Latency latency, ModelSpec model, Exchange exchange) {
        boolean cacheHit = exchange.getProperty(ExchangeKeys.CACHE_HIT, false, Boolean.class);
        List<ObjectNode> chunks = new ArrayList<>(2);
        chunks.add(encoder.chunk(encoder.emptyDelta(), completion.finishReason()));
        boolean usageChunk = request.path("stream_options").path("include_usage").asBoolean(false);
        ObjectNode last = usageChunk ? encoder.usageChunk() : encoder.chunk(encoder.emptyDelta(), null);
        addExtras(last, options, completion, cost, latency, model, exchange);
        if (usageChunk || last.has("usage") || last.has("cost") || last.has("latency") || last.has("routing")) {
            if (usageChunk && !last.has("usage")) {
                // OpenAI's usage chunk always has usage, whatever the gateway's own switches say
                last.set("usage", UsageJson.usage(mapper, completion.usage(), cacheHit));
            }
            chunks.add(last);
        }
        return chunks;
    }

    private void addExtras(ObjectNode out, ResponseOptions options, Completion completion, Cost cost, Latency latency,
                           ModelSpec model, Exchange exchange) {
        RoutingDecision decision = exchange.getProperty(ExchangeKeys.ROUTING, RoutingDecision.class);
        boolean cacheHit = exchange.getProperty(ExchangeKeys.CACHE_HIT, false, Boolean.class);
        if (options.usage()) {
            out.set("usage", UsageJson.usage(mapper, completion.usage(), cacheHit));
        }
        if (options.cost() && cost != null) {
            out.set("cost", UsageJson.cost(mapper, cost, completion.usage(), cacheHit));
        }
        if (options.latency()) {
            out.set("latency", latency.toJson(mapper));
        }
        if (options.modelInfo()) {
            ObjectNode routing = out.putObject("routing");
            routing.put("selected_provider", model.provider());
            routing.put("selected_model", model.id());
            routing.put("upstream_model", completion.upstreamModel());
            routing.put("routing_reason", decision == null ? "requested_model" : decision.reason());
            ArrayNode considered = routing.putArray("considered_models");
            (decision == null ? List.of(model.id()) : decision.considered()).forEach(considered::add);
            routing.put("fallback_used", decision != null && decision.fallbackUsed());
            routing.put("cache_hit", cacheHit);
        }
    }
}
