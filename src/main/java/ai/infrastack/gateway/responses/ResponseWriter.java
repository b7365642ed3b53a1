package ai.infrastack.gateway.responses;

import ai.infrastack.gateway.api.ErrorBody;
import ai.infrastack.gateway.core.Completion;
import ai.infrastack.gateway.core.ExchangeKeys;
import ai.infrastack.gateway.core.ResponseHeaders;
import ai.infrastack.gateway.streaming.ClientStream;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * Chat pipeline step for a Responses API request, last before analytics: writes the Response as the body, or a
 * stream's ending — each open item done and {@code response.completed} — or, for a stream that broke,
 * {@code response.failed}.
 */
public final class ResponseWriter implements Processor {
    private final ObjectMapper mapper;

    public ResponseWriter(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        Completion completion = exchange.getProperty(ExchangeKeys.COMPLETION, Completion.class);
        ObjectNode response = exchange.getProperty(ExchangeKeys.RESPONSE_OBJECT, ObjectNode.class);
        if (!completion.streamed()) {
            ResponseHeaders.reset(exchange, 200);
            exchange.getMessage().setBody(mapper.writeValueAsBytes(response));
            return;
        }
        ClientStream client = exchange.getProperty(ExchangeKeys.CLIENT_STREAM, ClientStream.class);
        switch (completion.ending()) {
            case COMPLETE -> client.finish(client.dialect(ResponseEventStream.class).ending(response));
            case FAILED -> client.fail(ErrorBody.of(mapper, completion.failure(),
                    exchange.getProperty(ExchangeKeys.REQUEST_ID, String.class)));
            case ABANDONED -> client.abandon();
        }
        exchange.getMessage().setBody(null);
    }
}
