package ai.infrastack.gateway.api;

import ai.infrastack.gateway.core.ResponseHeaders;
import ai.infrastack.gateway.catalog.ModelCatalog;
import ai.infrastack.gateway.catalog.ModelSpec;
import ai.infrastack.gateway.catalog.PriceTier;
import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.GatewayException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import java.math.BigDecimal;

/**
 * {@code GET /api/v1/models}: the catalog in the spec's format (prices per 1k tokens there); and
 * {@code GET /api/v1/models/{id}} ({@link #describeOne}): one model in the same shape, which is
 * OpenAI's model object plus the spec's capability fields.
 */
public final class ModelsLister implements Processor {
    private final ModelCatalog catalog;
    private final ObjectMapper mapper;

    public ModelsLister(ModelCatalog catalog, ObjectMapper mapper) {
        this.catalog = catalog;
        this.mapper = mapper;
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        ObjectNode root = mapper.createObjectNode();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        for (ModelSpec m : catalog.models()) {
            describe(m, data.addObject());
        }
        ResponseHeaders.reset(exchange, 200);
        exchange.getMessage().setBody(mapper.writeValueAsBytes(root));
    }

    /** The model named by the path's {@code id} (a gateway id or an alias); 404 model_not_found otherwise. */
    public void describeOne(Exchange exchange) throws Exception {
        String id = exchange.getMessage().getHeader("id", "", String.class);
        ModelSpec model = catalog.find(id).orElseThrow(() -> GatewayException
                .of(ErrorType.NOT_FOUND, "The model '" + id + "' does not exist; GET /api/v1/models lists the available models")
                .param("model").code("model_not_found").build());
        ResponseHeaders.reset(exchange, 200);
        exchange.getMessage().setBody(mapper.writeValueAsBytes(describe(model, mapper.createObjectNode())));
    }

    private static ObjectNode describe(ModelSpec m, ObjectNode n) {
        n.put("id", m.id());
        n.put("object", "model");
        n.put("created", 0);
        n.put("owned_by", m.provider());
        n.put("provider", m.provider());
        n.put("display_name", m.displayName());
        ObjectNode caps = n.putObject("capabilities");
        caps.put("max_tokens", m.maxOutputTokens());
        caps.put("context_window", m.contextWindow());
        caps.put("supports_vision", m.vision());
        caps.put("supports_function_calling", m.functionCalling());
        caps.put("supports_streaming", m.streaming());
        if (m.priced()) {
            PriceTier base = m.tiers().get(0);
            caps.put("cost_per_1k_input_tokens", perThousand(base.input()));
            caps.put("cost_per_1k_output_tokens", perThousand(base.output()));
        } else {
            caps.putNull("cost_per_1k_input_tokens");
            caps.putNull("cost_per_1k_output_tokens");
        }
        caps.put("avg_latency_ms", m.avgLatencyMs());
        n.put("category", m.category());
        n.put("tier", m.tier());
        ArrayNode aliases = n.putArray("aliases");
        m.aliases().forEach(aliases::add);
        return n;
    }

    private static BigDecimal perThousand(BigDecimal perMillion) {
        return perMillion.movePointLeft(3).stripTrailingZeros();
    }
}
