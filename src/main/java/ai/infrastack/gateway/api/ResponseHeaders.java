package ai.infrastack.gateway.api;

import ai.infrastack.gateway.core.ExchangeKeys;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * Clears every header a response could inherit (the client's request headers, the upstream's
 * response headers) and sets the ones the gateway always sends. Nothing leaks either way.
 */
public final class ResponseHeaders {
    private ResponseHeaders() {}

    public static void reset(Exchange exchange, int status) {
        Message m = exchange.getMessage();
        String dropped = exchange.getProperty(ExchangeKeys.DROPPED_PARAMS, String.class);
        m.getHeaders().clear();
        m.setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        m.setHeader(Exchange.CONTENT_TYPE, "application/json");
        String requestId = exchange.getProperty(ExchangeKeys.REQUEST_ID, String.class);
        if (requestId != null) {
            m.setHeader("X-Request-Id", requestId);
        }
        if (dropped != null && !dropped.isEmpty()) {
            m.setHeader("X-Gateway-Dropped-Params", dropped);
        }
    }
}
