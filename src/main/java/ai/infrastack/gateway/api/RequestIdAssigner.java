package ai.infrastack.gateway.api;

import ai.infrastack.gateway.core.ExchangeKeys;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import java.util.concurrent.ThreadLocalRandom;

/** First step of every API route: stamps the request id and the time the gateway received it. */
public final class RequestIdAssigner implements Processor {
    private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();

    @Override
    public void process(Exchange exchange) {
        exchange.setProperty(ExchangeKeys.RECEIVED_NANOS, System.nanoTime());
        exchange.setProperty(ExchangeKeys.RECEIVED_AT, java.time.Instant.now());
        exchange.setProperty(ExchangeKeys.REQUEST_ID, newId());
    }

    static String newId() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        char[] id = new char[24];
        for (int i = 0; i < id.length; i++) {
            id[i] = ALPHABET[r.nextInt(ALPHABET.length)];
        }
        return "req_" + new String(id);
    }
}
