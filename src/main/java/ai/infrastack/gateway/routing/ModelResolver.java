package ai.infrastack.gateway.routing;

import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.ExchangeKeys;
import ai.infrastack.gateway.core.GatewayException;
import ai.infrastack.gateway.auth.Caller;
import ai.infrastack.gateway.catalog.ModelCatalog;
import ai.infrastack.gateway.catalog.ModelSpec;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * Pipeline step: looks the requested model up in the catalog and sets the {@code provider}
 * property that the content-based router dispatches on. Also refuses what the model cannot do
 * (images to a text-only model, tools to a model without function calling) before any upstream call.
 */
public final class ModelResolver implements Processor {
    private final ModelCatalog catalog;

    public ModelResolver(ModelCatalog catalog) {
        this.catalog = catalog;
    }

    @Override
    public void process(Exchange exchange) {
        ObjectNode request = exchange.getProperty(ExchangeKeys.CHAT_REQUEST, ObjectNode.class);
        String name = request.path("model").asText();
        ModelSpec model = catalog.find(name).orElseThrow(() -> GatewayException
                .of(ErrorType.NOT_FOUND, "The model '" + name + "' does not exist; GET /api/v1/models lists the available models")
                .param("model").code("model_not_found").build());
        Caller caller = exchange.getProperty(ExchangeKeys.CALLER, Caller.class);
        if (caller != null && !caller.mayUse(model.id())) {
            throw GatewayException.of(ErrorType.PERMISSION, "This API key may not use the model '" + model.id() + "'")
                    .param("model").code("model_not_allowed").build();
        }
        if (!model.vision() && hasImage(request.path("messages"))) {
            throw GatewayException.of(ErrorType.INVALID_REQUEST, "The model '" + model.id() + "' does not accept images")
                    .param("messages").code("model_not_vision_capable").build();
        }
        if (!model.functionCalling() && request.path("tools").size() > 0) {
            throw GatewayException.of(ErrorType.INVALID_REQUEST, "The model '" + model.id() + "' does not support tools")
                    .param("tools").code("tools_not_supported").build();
        }
        exchange.setProperty(ExchangeKeys.MODEL, model);
        exchange.setProperty(ExchangeKeys.PROVIDER, model.provider());
    }

    private static boolean hasImage(JsonNode messages) {
        for (JsonNode m : messages) {
            for (JsonNode part : m.path("content")) {
                if ("image_url".equals(part.path("type").asText())) {
                    return true;
                }
            }
        }
        return false;
    }
}
