package ai.infrastack.gateway.core;

import org.apache.camel.Exchange;
import org.apache.camel.Message;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The response's headers. {@link #reset} clears every header a response could inherit (the
 * client's request headers, the upstream's response headers) and sets the ones the gateway always
 * sends, plus those steps {@linkplain #add added} on the way (dropped parameters, rate limits…), so
 * unary answers, streams and errors all carry them. Nothing leaks either way.
 */
public final class ResponseHeaders {
    private ResponseHeaders() {}

    /** A header for whatever response this request gets. */
    public static void add(Exchange exchange, String name, String value) {
        @SuppressWarnings("unchecked")
        Map<String, String> headers = exchange.getProperty(ExchangeKeys.RESPONSE_HEADERS, Map.class);
        if (headers == null) {
            headers = new LinkedHashMap<>();
            exchange.setProperty(ExchangeKeys.RESPONSE_HEADERS, headers);
        }
        headers.put(name, value);
    }

    public static void reset(Exchange exchange, int status) {
        Message m = exchange.getMessage();
        m.getHeaders().clear();
        m.setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        m.setHeader(Exchange.CONTENT_TYPE, "application/json");
        String requestId = exchange.getProperty(ExchangeKeys.REQUEST_ID, String.class);
        if (requestId != null) {
            m.setHeader("X-Request-Id", requestId);
        }
        String dropped = exchange.getProperty(ExchangeKeys.DROPPED_PARAMS, String.class);
        if (dropped != null && !dropped.isEmpty()) {
            m.setHeader("X-Gateway-Dropped-Params", dropped);
        }
        @SuppressWarnings("unchecked")
        Map<String, String> added = exchange.getProperty(ExchangeKeys.RESPONSE_HEADERS, Map.class);
        if (added != null) {
            added.forEach(m::setHeader);
        }
    }
}
