package ai.infrastack.gateway.api;

import ai.infrastack.gateway.core.ExchangeKeys;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.vertx.HttpMessage;

import java.util.concurrent.ThreadLocalRandom;

/**
 * First step of every API route: stamps the request id (a new one, or the one a batch item or bus
 * message was taken on under, see {@link ExchangeKeys#ASSIGNED_REQUEST_ID}) and, unless the HTTP server already did when
 * the request arrived, the time the gateway received it.
 */
public final class RequestIdAssigner implements Processor {
    private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();

    @Override
    public void process(Exchange exchange) {
        if (exchange.getProperty(ExchangeKeys.RECEIVED_NANOS) == null) {
            exchange.setProperty(ExchangeKeys.RECEIVED_NANOS, System.nanoTime());
            exchange.setProperty(ExchangeKeys.RECEIVED_AT, java.time.Instant.now());
        }
        String assigned = exchange.getProperty(ExchangeKeys.ASSIGNED_REQUEST_ID, String.class);
        exchange.removeProperty(ExchangeKeys.ASSIGNED_REQUEST_ID);
        // A batch item or bus message brings the id it was taken on under (in-process only, never from HTTP).
        boolean internal = assigned != null && !(exchange.getIn() instanceof HttpMessage);
        exchange.setProperty(ExchangeKeys.REQUEST_ID, internal ? assigned : newId());
    }

    public static String newId() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        char[] id = new char[24];
        for (int i = 0; i < id.length; i++) {
            id[i] = ALPHABET[r.nextInt(ALPHABET.length)];
        }
        return "req_" + new String(id);
    }
}
