package ai.infrastack.gateway.streaming;

import ai.infrastack.gateway.core.ExchangeKeys;
import ai.infrastack.gateway.api.ResponseHeaders;
import ai.infrastack.gateway.catalog.ModelSpec;
import ai.infrastack.gateway.cost.CostCalculator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.platform.http.vertx.HttpMessage;

import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ExecutionException;

/**
 * Last step of a streamed chat: answers with {@code text/event-stream}, written chunk by chunk from
 * a {@link ChunkStream}. Why write to the Vert.x response here rather than hand platform-http an
 * InputStream body: Camel 4.18's platform-http-vertx pumps an InputStream body through
 * {@code AsyncInputStream}, which keeps reading until its 8 KiB buffer is full or the stream ends
 * before it writes anything — a whole SSE answer would reach the client in one piece at the end.
 * So the route's worker thread (platform-http runs each exchange on a Vert.x worker) relays each
 * event as soon as it is read, waits for it to be written (backpressure from a slow client), and
 * ends the response; platform-http then finds the response ended and writes nothing. The analytics
 * wire-tap runs once, when the stream ends.
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
        HttpServerResponse response = exchange.getIn() instanceof HttpMessage http ? http.getResponse() : null;
        ResponseHeaders.reset(exchange, 200);
        exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "text/event-stream");
        exchange.getMessage().setHeader("Cache-Control", "no-cache");
        if (response == null) {
            exchange.getMessage().setBody(body);
            return;
        }
        relay(exchange.getMessage(), body, response);
        exchange.getMessage().setBody(null);
    }

    /** Writes the headers, then each event as soon as the stream yields it; returns when the stream ends. */
    private static void relay(Message message, ChunkStream body, HttpServerResponse response) {
        response.setStatusCode(200);
        for (Map.Entry<String, Object> header : message.getHeaders().entrySet()) {
            if (header.getValue() != null && !header.getKey().startsWith("Camel")) {
                response.putHeader(header.getKey(), header.getValue().toString());
            }
        }
        response.setChunked(true);
        // A client that disconnects cancels the upstream call.
        response.closeHandler(v -> body.cancel());
        byte[] buffer = new byte[8192];
        try {
            for (int n = body.read(buffer, 0, buffer.length); n >= 0; n = body.read(buffer, 0, buffer.length)) {
                if (n > 0) {
                    response.write(Buffer.buffer(Arrays.copyOf(buffer, n))).toCompletionStage().toCompletableFuture().get();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | IOException | RuntimeException e) {
            // the client is gone; closing the stream below accounts for it
        } finally {
            body.close();
            try {
                response.end();
            } catch (RuntimeException e) {
                // already closed
            }
        }
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
