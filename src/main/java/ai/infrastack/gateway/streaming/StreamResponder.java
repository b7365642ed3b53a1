package ai.infrastack.gateway.streaming;

import ai.infrastack.gateway.api.ExchangeKeys;
import ai.infrastack.gateway.api.ResponseHeaders;
import ai.infrastack.gateway.catalog.ModelSpec;
import ai.infrastack.gateway.cost.CostCalculator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.platform.http.vertx.HttpMessage;

/**
 * Last step of a streamed chat: answers with {@code text/event-stream} whose body is a
 * {@link ChunkStream}. Why a body stream rather than a Vert.x handler: platform-http pipes an
 * InputStream body to the client chunk by chunk as it is read (reading on a worker thread, never on
 * the event loop), so the route stays an ordinary Camel route and each upstream event goes out as
 * soon as it is read. The analytics wire-tap runs once, when the stream ends.
 */
public final class StreamResponder implements Processor {
    private final ObjectMapper mapper;
    private final CostCalculator costs;
    private final TokenEstimator tokens = new TokenEstimator();
    private final CamelContext context;
    private volatile ProducerTemplate analytics;

    public StreamResponder(ObjectMapper mapper, CostCalculator costs, CamelContext context) {
        this.mapper = mapper;
        this.costs = costs;
        this.context = context;
    }

    @Override
    public void process(Exchange exchange) {
        ModelSpec model = exchange.getProperty(ExchangeKeys.MODEL, ModelSpec.class);
        String requestId = exchange.getProperty(ExchangeKeys.REQUEST_ID, String.class);
        ChunkEncoder encoder = new ChunkEncoder(mapper, "chatcmpl-" + requestId.substring(4),
                System.currentTimeMillis() / 1000, model.id(), model.provider());
        ChunkStream body = new ChunkStream(exchange, exchange.getProperty(ExchangeKeys.OPENED_STREAM, OpenedStream.class),
                encoder, mapper, model, exchange.getProperty(ExchangeKeys.CHAT_REQUEST, ObjectNode.class), costs, tokens,
                this::record);
        if (exchange.getIn() instanceof HttpMessage http) {
            // A client that disconnects cancels the upstream call.
            http.getResponse().closeHandler(v -> body.cancel());
        }
        ResponseHeaders.reset(exchange, 200);
        exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "text/event-stream");
        exchange.getMessage().setHeader("Cache-Control", "no-cache");
        exchange.getMessage().setBody(body);
    }

    private void record(Exchange finished) {
        ProducerTemplate template = analytics;
        if (template == null) {
            synchronized (this) {
                if (analytics == null) {
                    analytics = context.createProducerTemplate();
                }
                template = analytics;
            }
        }
        template.asyncSend("direct:analytics", finished.copy());
    }
}
