package ai.infrastack.gateway.responses;

import ai.infrastack.gateway.core.ExchangeKeys;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chat pipeline step for a Responses API request: keeps the Response (with {@code store}, OpenAI's default) before
 * it is written, so a client that continues the moment it has read the answer finds it stored. A database that
 * fails here does not cost the client the answer it has been charged for: it is logged, and a later
 * {@code previous_response_id} to it is a 400.
 */
public final class ResponseSaver implements Processor {
    private static final Logger LOG = LoggerFactory.getLogger(ResponseSaver.class);

    private final ResponseStore store;

    public ResponseSaver(ResponseStore store) {
        this.store = store;
    }

    @Override
    public void process(Exchange exchange) {
        ResponsesTurn turn = exchange.getProperty(ExchangeKeys.RESPONSES_TURN, ResponsesTurn.class);
        ObjectNode response = exchange.getProperty(ExchangeKeys.RESPONSE_OBJECT, ObjectNode.class);
        if (turn.store() && response != null) {
            try {
                store.save(turn.scope(), response, turn.context());
            } catch (RuntimeException e) {
                LOG.error("response {} answered but not stored: {}", turn.responseId(), e.getMessage());
            }
        }
    }
}
