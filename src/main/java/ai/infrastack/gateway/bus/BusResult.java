package ai.infrastack.gateway.bus;

import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * The answer to one bus item as it is kept and sent: the chat pipeline's JSON body (a completion or
 * the spec's error body), its HTTP-equivalent status, request id and total cost in USD.
 */
public record BusResult(String requestId, int status, String totalCost, String body) {
    public static final String REQUEST_ID_HEADER = "x-request-id";
    public static final String STATUS_HEADER = "x-status";
    public static final String COST_HEADER = "x-cost-usd";
    public static final String CUSTOM_ID_HEADER = "x-custom-id";
    public static final String CORRELATION_ID_HEADER = "x-correlation-id";

    /** Makes the exchange's message this result, with no header but ours (never an incoming one). */
    public void writeTo(Exchange exchange) {
        Message m = exchange.getMessage();
        m.removeHeaders("*");
        m.setBody(body);
        m.setHeader(Exchange.CONTENT_TYPE, "application/json");
        if (requestId != null) {
            m.setHeader(REQUEST_ID_HEADER, requestId);
        }
        m.setHeader(STATUS_HEADER, String.valueOf(status));
        if (totalCost != null) {
            m.setHeader(COST_HEADER, totalCost);
        }
        m.setHeader(CUSTOM_ID_HEADER, exchange.getProperty(BusExchange.CUSTOM_ID, String.class));
        String correlation = exchange.getProperty(BusExchange.CORRELATION_ID, String.class);
        if (correlation != null) {
            m.setHeader(CORRELATION_ID_HEADER, correlation);
        }
    }
}
