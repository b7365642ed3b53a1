package ai.infrastack.gateway.streaming;

import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.ExchangeKeys;
import ai.infrastack.gateway.core.GatewayException;
import ai.infrastack.gateway.core.Latency;
import ai.infrastack.gateway.api.UsageJson;
import ai.infrastack.gateway.catalog.ModelSpec;
import ai.infrastack.gateway.core.Cost;
import ai.infrastack.gateway.cost.CostCalculator;
import ai.infrastack.gateway.core.Usage;
import ai.infrastack.gateway.core.ChatResult;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * The client's side of a stream: an InputStream of OpenAI chunks that {@link StreamResponder}
 * relays, each read turning the next upstream event into the next chunk — nothing is buffered
 * beyond one event. The chunk with {@code finish_reason} also carries usage, cost and latency; a stream that
 * breaks ends with an error event and never with {@code [DONE]}, so a cut answer cannot pass for a
 * whole one. When the stream ends — completed, broken, or the client gone — the request is costed
 * and recorded exactly once.
 */
public final class ChunkStream extends InputStream {
    private final Exchange exchange;
    private final OpenedStream upstream;
    private final ChunkEncoder encoder;
    private final ObjectMapper mapper;
    private final ModelSpec model;
    private final ObjectNode request;
    private final CostCalculator costs;
    private final TokenEstimator tokens;
    private final Consumer<Exchange> recorder;
    private final AtomicBoolean finished = new AtomicBoolean();
    private volatile boolean cancelled;

    private final StringBuilder completion = new StringBuilder();
    private boolean roleSent;
    private String finishReason;
    private Usage usage;
    private byte[] current;
    private int pos;
    private boolean ended;

    public ChunkStream(Exchange exchange, OpenedStream upstream, ChunkEncoder encoder, ObjectMapper mapper, ModelSpec model,
                       ObjectNode request, CostCalculator costs, TokenEstimator tokens, Consumer<Exchange> recorder) {
        this.exchange = exchange;
        this.upstream = upstream;
        this.encoder = encoder;
        this.mapper = mapper;
        this.model = model;
        this.request = request;
        this.costs = costs;
        this.tokens = tokens;
        this.recorder = recorder;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        while (current == null || pos >= current.length) {
            if (ended) {
                return -1;
            }
            current = produce();
            pos = 0;
        }
        int n = Math.min(len, current.length - pos);
        System.arraycopy(current, pos, b, off, n);
        pos += n;
        return n;
    }

    @Override
    public int available() {
        return current == null ? 0 : current.length - pos;
    }

    /** The client went away: stop reading, drop the upstream connection, account what was produced. */
    public void cancel() {
        if (finished.get()) {
            return;
        }
        cancelled = true;
        upstream.abort();
    }

    @Override
    public void close() {
        if (!finished.get()) {
            cancel();
            account(null, 499);
        }
        ended = true;
    }

    /** The bytes for the next upstream event (empty when it carries nothing for the client). */
    private byte[] produce() {
        StreamEvent event;
        try {
            event = cancelled ? null : upstream.next();
        } catch (IOException e) {
            if (cancelled) {
                return stop(null, 499);
            }
            return fail(GatewayException.of(ErrorType.PROVIDER, "The upstream connection broke mid-stream: " + e.getMessage())
                    .status(502).provider(model.provider()).code("upstream_stream_broken").build());
        }
        if (cancelled) {
            return stop(null, 499);
        }
        if (event == null) {
            // Gemini ends by closing; any other stream that closes before finishing was cut.
            return finishReason != null ? complete() : fail(GatewayException.of(ErrorType.PROVIDER,
                    "The upstream closed the stream before finishing").status(502).provider(model.provider())
                    .code("upstream_stream_truncated").build());
        }
        if (event instanceof StreamEvent.Start) {
            return role();
        }
        if (event instanceof StreamEvent.Text t) {
            completion.append(t.text());
            return withRole(encoder.event(encoder.chunk(encoder.textDelta(t.text()), null)));
        }
        if (event instanceof StreamEvent.ToolCallStart t) {
            completion.append(t.name()).append(t.arguments() == null ? "" : t.arguments());
            return withRole(encoder.event(encoder.chunk(encoder.toolCallStartDelta(t), null)));
        }
        if (event instanceof StreamEvent.ToolCallArguments a) {
            completion.append(a.fragment());
            return withRole(encoder.event(encoder.chunk(encoder.toolCallArgumentsDelta(a), null)));
        }
        if (event instanceof StreamEvent.Finish f) {
            // Held until the end: the finish chunk carries the final usage, which comes after it.
            finishReason = f.finishReason();
            return new byte[0];
        }
        if (event instanceof StreamEvent.UsageReport u) {
            usage = u.usage();
            return new byte[0];
        }
        if (event instanceof StreamEvent.Failure f) {
            return fail(f.error());
        }
        return complete(); // End
    }

    private byte[] role() {
        if (roleSent) {
            return new byte[0];
        }
        roleSent = true;
        return encoder.event(encoder.chunk(encoder.roleDelta(), null));
    }

    private byte[] withRole(byte[] chunk) {
        if (roleSent) {
            return chunk;
        }
        byte[] role = role();
        byte[] both = new byte[role.length + chunk.length];
        System.arraycopy(role, 0, both, 0, role.length);
        System.arraycopy(chunk, 0, both, role.length, chunk.length);
        return both;
    }

    private byte[] complete() {
        Usage finalUsage = finalUsage();
        Cost cost = costs.price(model, finalUsage, exchange.getProperty(ExchangeKeys.REQUEST_ID));
        Latency latency = Latency.of(exchange);
        ObjectNode options = request.path("response").isObject() ? (ObjectNode) request.get("response") : mapper.createObjectNode();
        ObjectNode last = encoder.chunk(mapper.createObjectNode(), finishReason == null ? "stop" : finishReason);
        // A client that asked for OpenAI's own usage chunk gets usage there only: the official Java
        // SDK's ChatCompletionAccumulator takes any chunk with usage for that last chunk and would
        // drop this one's finish_reason.
        boolean usageChunk = request.path("stream_options").path("include_usage").asBoolean(false);
        if (options.path("include_usage").asBoolean(true) && !usageChunk) {
            last.set("usage", UsageJson.usage(mapper, finalUsage));
        }
        if (options.path("include_cost").asBoolean(true) && cost != null) {
            last.set("cost", UsageJson.cost(mapper, cost, finalUsage));
        }
        if (options.path("include_latency").asBoolean(true)) {
            last.set("latency", latency.toJson(mapper));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(withRole(encoder.event(last)));
        if (usageChunk) {
            out.writeBytes(encoder.event(encoder.usageChunk(UsageJson.usage(mapper, finalUsage))));
        }
        out.writeBytes(ChunkEncoder.DONE);
        account(null, 200, finalUsage, cost, latency);
        ended = true;
        return out.toByteArray();
    }

    /** One error event in the spec's format, and the end: no [DONE]. */
    private byte[] fail(GatewayException error) {
        upstream.abort();
        ObjectNode body = mapper.createObjectNode();
        ObjectNode err = body.putObject("error");
        err.put("message", error.getMessage());
        err.put("type", error.type().wireName());
        err.put("param", error.param());
        err.put("code", error.code());
        err.put("provider", error.provider() == null ? model.provider() : error.provider());
        err.put("request_id", exchange.getProperty(ExchangeKeys.REQUEST_ID, String.class));
        account(error, error.status());
        ended = true;
        return encoder.event(body);
    }

    private byte[] stop(GatewayException error, int status) {
        account(error, status);
        ended = true;
        return new byte[0];
    }

    private Usage finalUsage() {
        if (usage != null && usage.totalTokens() > 0) {
            return usage;
        }
        return tokens.estimate(request.path("messages"), completion);
    }

    /**
     * The usage of a stream cut short (upstream error, broken connection, client gone). The
     * upstream's last report can lag the text already relayed — Anthropic reports output tokens only
     * in its closing message_delta, and a cancelled stream never reads the report queued behind the
     * last text — so the output is never counted as less than the tokens of what was relayed.
     */
    private Usage partialUsage() {
        Usage counted = tokens.estimate(request.path("messages"), completion);
        if (usage == null || usage.totalTokens() == 0) {
            return counted;
        }
        if (usage.output() >= counted.output()) {
            return usage;
        }
        return new Usage(usage.uncachedInput(), usage.cacheRead(), usage.cacheWrite(), counted.output(), usage.reasoning(), true);
    }

    /** Accounts a stream that did not complete: partial usage. */
    private void account(GatewayException error, int status) {
        Usage finalUsage = partialUsage();
        account(error, status, finalUsage, costs.price(model, finalUsage, exchange.getProperty(ExchangeKeys.REQUEST_ID)),
                Latency.of(exchange));
    }

    /** Sets the final state on the exchange and records it, once per stream. */
    private void account(GatewayException error, int status, Usage finalUsage, Cost cost, Latency latency) {
        if (!finished.compareAndSet(false, true)) {
            return;
        }
        exchange.setProperty(ExchangeKeys.UPSTREAM_DONE_NANOS, System.nanoTime());
        exchange.setProperty(ExchangeKeys.RESULT, new ChatResult(encoderId(), 0, mapper.createArrayNode(), finalUsage, model.upstream()));
        exchange.setProperty(ExchangeKeys.COST, cost);
        exchange.setProperty(ExchangeKeys.LATENCY, latency);
        exchange.setProperty(ExchangeKeys.ERROR, error);
        exchange.setProperty(ExchangeKeys.STATUS, status);
        recorder.accept(exchange);
    }

    private String encoderId() {
        return exchange.getProperty(ExchangeKeys.REQUEST_ID, String.class);
    }
}
