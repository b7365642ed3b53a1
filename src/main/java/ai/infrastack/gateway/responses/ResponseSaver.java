package ai.infrastack.gateway.responses;

import ai.infrastack.gateway.core.ExchangeKeys;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * Chat pipeline step for a Responses API request: keeps the Response (with {@code store}, OpenAI's default) before
 * it is written, so a client that continues the moment it has read the answer finds it stored.
 */
public final class ResponseSaver implements Processor {
    private final ResponseStore store;

    public ResponseSaver(ResponseStore store) {
        this.store = store;
    }

    @Override
    public void process(Exchange exchange) {
        ResponsesTurn turn = exchange.getProperty(ExchangeKeys.RESPONSES_TURN, ResponsesTurn.class);
        ObjectNode response = exchange.getProperty(ExchangeKeys.RESPONSE_OBJECT, ObjectNode.class);
        if (turn.store() && response != null) {
            store.save(turn.scope(), response, turn.context());
        }
    }
}
