package ai.infrastack.gateway.bus;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a rejected message (or batch item) the dead-letter copy: the body as it came (an item's
 * own request for a batch item), the reason ({@link BusRejection}, or {@code gateway_error} for
 * anything unexpected) and a detail in headers, and the ids a sender matches it by. No incoming
 * header is copied: the key must not travel on.
 */
public final class BusDeadLetterWriter implements org.apache.camel.Processor {
    public static final String REASON_HEADER = "x-dlq-reason";
    public static final String DETAIL_HEADER = "x-dlq-detail";
    private static final Logger LOG = LoggerFactory.getLogger(BusDeadLetterWriter.class);

    @Override
    public void process(Exchange exchange) {
        Exception failure = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        String reason = failure instanceof BusRejection r ? r.reason() : "gateway_error";
        String detail = failure == null ? "" : String.valueOf(failure.getMessage());
        if (!(failure instanceof BusRejection)) {
            LOG.error("Bus message {} failed in the gateway; dead-lettered", exchange.getProperty(BusExchange.CUSTOM_ID), failure);
        }
        BusItem item = exchange.getProperty(BusExchange.ITEM, BusItem.class);
        Message m = exchange.getMessage();
        m.removeHeaders("*");
        m.setBody(item != null ? item.chatRequest() : exchange.getProperty(BusExchange.ORIGINAL_BODY));
        m.setHeader(REASON_HEADER, reason);
        m.setHeader(DETAIL_HEADER, detail.length() > 500 ? detail.substring(0, 500) : detail);
        setIfPresent(m, BusResult.CUSTOM_ID_HEADER, exchange.getProperty(BusExchange.CUSTOM_ID, String.class));
        setIfPresent(m, BusResult.CORRELATION_ID_HEADER, exchange.getProperty(BusExchange.CORRELATION_ID, String.class));
    }

    private static void setIfPresent(Message m, String name, String value) {
        if (value != null) {
            m.setHeader(name, value);
        }
    }
}
