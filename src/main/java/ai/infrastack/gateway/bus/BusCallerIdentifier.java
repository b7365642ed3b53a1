package ai.infrastack.gateway.bus;

import ai.infrastack.gateway.auth.Caller;
import ai.infrastack.gateway.auth.KeyRegistry;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * Names the key a bus message came with, before anything is taken on: the key id is half of the
 * idempotency key, and a message with no valid key is dead-lettered, not answered. The pipeline
 * authenticates the key again, for each item, exactly as for an HTTP call.
 */
public final class BusCallerIdentifier implements Processor {
    private final KeyRegistry keys;

    public BusCallerIdentifier(KeyRegistry keys) {
        this.keys = keys;
    }

    @Override
    public void process(Exchange exchange) {
        String key = exchange.getProperty(BusExchange.API_KEY, String.class);
        if (key == null || key.isBlank()) {
            throw new BusRejection("unauthorized", "no API key: send it in the 'Authorization' header as 'Bearer <key>'");
        }
        Caller caller = keys.find(key).orElseThrow(() -> new BusRejection("unauthorized", "invalid API key"));
        exchange.setProperty(BusExchange.KEY_ID, caller.keyId());
    }
}
