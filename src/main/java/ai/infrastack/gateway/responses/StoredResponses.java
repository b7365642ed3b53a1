package ai.infrastack.gateway.responses;

import ai.infrastack.gateway.auth.Caller;
import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.ExchangeKeys;
import ai.infrastack.gateway.core.GatewayException;
import ai.infrastack.gateway.core.ResponseHeaders;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;

/**
 * GET and DELETE /api/v1/responses/{id}: a stored response of the caller's project (or key), as it was returned;
 * another project's, an expired or an unstored one is a 404.
 */
public final class StoredResponses {
    private final ResponseStore store;
    private final ObjectMapper mapper;

    public StoredResponses(ResponseStore store, ObjectMapper mapper) {
        this.store = store;
        this.mapper = mapper;
    }

    public void retrieve(Exchange exchange) throws Exception {
        String id = exchange.getMessage().getHeader("id", String.class);
        ObjectNode response = store.find(scope(exchange), id).orElseThrow(() -> notFound(id)).response();
        ResponseHeaders.reset(exchange, 200);
        exchange.getMessage().setBody(mapper.writeValueAsBytes(response));
    }

    public void delete(Exchange exchange) throws Exception {
        String id = exchange.getMessage().getHeader("id", String.class);
        if (!store.delete(scope(exchange), id)) {
            throw notFound(id);
        }
        ResponseHeaders.reset(exchange, 200);
        exchange.getMessage().setBody(mapper.writeValueAsBytes(
                mapper.createObjectNode().put("id", id).put("object", "response.deleted").put("deleted", true)));
    }

    private static String scope(Exchange exchange) {
        return ResponsesRequestTranslator.scope(exchange.getProperty(ExchangeKeys.CALLER, Caller.class));
    }

    private static GatewayException notFound(String id) {
        return GatewayException.of(ErrorType.NOT_FOUND, "Response with id '" + id + "' not found.")
                .param("id").code("response_not_found").build();
    }
}
