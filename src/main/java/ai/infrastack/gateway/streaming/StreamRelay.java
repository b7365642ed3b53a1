package ai.infrastack.gateway.streaming;

import ai.infrastack.gateway.catalog.ModelSpec;
import ai.infrastack.gateway.core.Completion;
import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.ExchangeKeys;
import ai.infrastack.gateway.core.GatewayException;
import ai.infrastack.gateway.core.ResponseHeaders;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.vertx.HttpMessage;

import java.io.IOException;

/**
 * Pipeline step after the provider call. A unary answer passes through. A streamed one is relayed
 * here: the headers, then each upstream event in the stream's dialect (OpenAI chunks unless the way in
 * asked for another) as soon as it is read — nothing
 * is buffered beyond one event. The step returns when the stream ends — finished, failed mid-way or
 * abandoned by the client — with its {@link Completion} on the exchange, so the steps after it
 * (cost, settlement, the renderer that writes the last chunk, analytics) are the unary ones.
 * A client that goes away cancels the upstream call.
 */
public final class StreamRelay implements Processor {
    private final ObjectMapper mapper;
    private final TokenEstimator tokens = new TokenEstimator();
    private final long writeTimeoutMs;

    public StreamRelay(ObjectMapper mapper, long writeTimeoutMs) {
        this.mapper = mapper;
        this.writeTimeoutMs = writeTimeoutMs;
    }

    @Override
    public void process(Exchange exchange) {
        OpenedStream upstream = exchange.getProperty(ExchangeKeys.OPENED_STREAM, OpenedStream.class);
        if (upstream == null) {
            return;
        }
        exchange.removeProperty(ExchangeKeys.OPENED_STREAM);
        ModelSpec model = exchange.getProperty(ExchangeKeys.MODEL, ModelSpec.class);
        String requestId = exchange.getProperty(ExchangeKeys.REQUEST_ID, String.class);
        StreamDialect.Factory dialects = exchange.getProperty(ExchangeKeys.STREAM_DIALECT, StreamDialect.Factory.class);
        StreamDialect dialect = dialects != null ? dialects.open(requestId, model)
                : new ChunkEncoder(mapper, "chatcmpl-" + requestId.substring(4), System.currentTimeMillis() / 1000,
                        model.id(), model.provider());
        Message message = exchange.getMessage();
        ChunkSink sink = exchange.getIn() instanceof HttpMessage http
                ? new VertxChunkSink(http.getResponse(), writeTimeoutMs) : new BufferedChunkSink(message);
        ResponseHeaders.reset(exchange, 200);
        message.setHeader(Exchange.CONTENT_TYPE, "text/event-stream");
        message.setHeader("Cache-Control", "no-cache");
        sink.start(200, message.getHeaders());
        sink.onGone(upstream::abort);
        ClientStream client = new ClientStream(dialect, sink);
        exchange.setProperty(ExchangeKeys.CLIENT_STREAM, client);

        ObjectNode request = exchange.getProperty(ExchangeKeys.CHAT_REQUEST, ObjectNode.class);
        StreamTally tally = new StreamTally(tokens, request.path("messages"));
        StreamedAnswer answer = exchange.getProperty(ExchangeKeys.KEEP_STREAMED_ANSWER, false, Boolean.class)
                ? new StreamedAnswer(mapper) : null;
        Completion completion = relay(upstream, client, sink, tally, answer, model, requestId);
        if (answer != null && completion.complete()) {
            completion = new Completion(completion.id(), completion.created(), answer.choices(completion.finishReason()),
                    completion.usage(), completion.upstreamModel(), true, completion.finishReason(), completion.ending(), null);
        }
        exchange.setProperty(ExchangeKeys.UPSTREAM_DONE_NANOS, System.nanoTime());
        exchange.setProperty(ExchangeKeys.COMPLETION, completion);
        if (completion.ending() == Completion.Ending.FAILED) {
            exchange.setProperty(ExchangeKeys.ERROR, completion.failure());
        } else if (completion.ending() == Completion.Ending.ABANDONED) {
            exchange.setProperty(ExchangeKeys.STATUS, 499);
            client.abandon();
        }
        message.setBody(null);
    }

    /** Relays events until the stream ends, and says how it ended. */
    private static Completion relay(OpenedStream upstream, ClientStream client, ChunkSink sink, StreamTally tally,
                                    StreamedAnswer answer, ModelSpec model, String requestId) {
        while (true) {
            StreamEvent event;
            try {
                event = upstream.next();
            } catch (IOException e) {
                return sink.open() ? failed(tally, requestId, model, broken(model, e)) : abandoned(tally, requestId, model);
            }
            if (!sink.open()) {
                upstream.abort();
                return abandoned(tally, requestId, model);
            }
            try {
                if (event == null) {
                    // Gemini ends by closing; any other stream that closes before finishing was cut.
                    return tally.finishReason() != null ? complete(tally, requestId, model)
                            : failed(tally, requestId, model, GatewayException.of(ErrorType.PROVIDER,
                                    "The upstream closed the stream before finishing").status(502).provider(model.provider())
                                    .code("upstream_stream_truncated").build());
                } else if (event instanceof StreamEvent.Start) {
                    client.open();
                } else if (event instanceof StreamEvent.Text t) {
                    tally.relayed(t.text());
                    if (answer != null) {
                        answer.text(t.text());
                    }
                    client.text(t.text());
                } else if (event instanceof StreamEvent.ToolCallStart t) {
                    tally.relayed(t.name());
                    tally.relayed(t.arguments());
                    if (answer != null) {
                        answer.toolCall(t);
                    }
                    client.toolCallStart(t);
                } else if (event instanceof StreamEvent.ToolCallArguments a) {
                    tally.relayed(a.fragment());
                    if (answer != null) {
                        answer.arguments(a);
                    }
                    client.toolCallArguments(a);
                } else if (event instanceof StreamEvent.Finish f) {
                    // Held: the last chunk carries the finish reason with the final usage, which comes after it.
                    tally.finish(f.finishReason());
                } else if (event instanceof StreamEvent.UsageReport u) {
                    tally.usage(u.usage());
                } else if (event instanceof StreamEvent.Failure f) {
                    upstream.abort();
                    return failed(tally, requestId, model, f.error());
                } else {
                    return complete(tally, requestId, model); // End
                }
            } catch (IOException clientGone) {
                upstream.abort();
                return abandoned(tally, requestId, model);
            }
        }
    }

    private static GatewayException broken(ModelSpec model, IOException e) {
        return GatewayException.of(ErrorType.PROVIDER, "The upstream connection broke mid-stream: " + e.getMessage())
                .status(502).provider(model.provider()).code("upstream_stream_broken").build();
    }

    private static Completion complete(StreamTally tally, String id, ModelSpec model) {
        return streamed(id, model, tally.finalUsage(), tally.finishReason() == null ? "stop" : tally.finishReason(),
                Completion.Ending.COMPLETE, null);
    }

    private static Completion failed(StreamTally tally, String id, ModelSpec model, GatewayException failure) {
        return streamed(id, model, tally.partialUsage(), null, Completion.Ending.FAILED, failure);
    }

    private static Completion abandoned(StreamTally tally, String id, ModelSpec model) {
        return streamed(id, model, tally.partialUsage(), null, Completion.Ending.ABANDONED, null);
    }

    private static Completion streamed(String id, ModelSpec model, ai.infrastack.gateway.core.Usage usage, String finishReason,
                                       Completion.Ending ending, GatewayException failure) {
        return new Completion(id, System.currentTimeMillis() / 1000, null, usage, model.upstream(), true, finishReason, ending, failure);
    }
}
