package ai.infrastack.gateway.streaming;

import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.GatewayException;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * An upstream stream read up to its first content. The client's response has not started yet, so
 * an upstream that fails before answering still gets an ordinary JSON error (and could be
 * replaced by a fallback); the events read so far are kept and replayed in order.
 */
public final class OpenedStream {
    private final UpstreamStream upstream;
    private final Deque<StreamEvent> first;

    private OpenedStream(UpstreamStream upstream, Deque<StreamEvent> first) {
        this.upstream = upstream;
        this.first = first;
    }

    public static OpenedStream open(InputStream body, StreamDecoder decoder, String provider) {
        if (body == null) {
            throw closedEarly(provider);
        }
        UpstreamStream upstream = new UpstreamStream(body, decoder);
        Deque<StreamEvent> first = new ArrayDeque<>();
        try {
            while (true) {
                StreamEvent e = upstream.next();
                if (e == null) {
                    upstream.abort();
                    throw closedEarly(provider);
                }
                if (e instanceof StreamEvent.Failure failure) {
                    upstream.abort();
                    throw failure.error();
                }
                first.add(e);
                if (!(e instanceof StreamEvent.Start) && !(e instanceof StreamEvent.UsageReport)) {
                    return new OpenedStream(upstream, first);
                }
            }
        } catch (IOException e) {
            upstream.abort();
            throw GatewayException.of(ErrorType.PROVIDER, "The upstream stream broke before its first token: " + e.getMessage())
                    .status(502).provider(provider).code("upstream_stream_broken").build();
        }
    }

    /**
     * A stream whose events are all known already (an answer from the response cache): relayed like an
     * upstream's, so a cached answer reaches a streaming client as the same chunks a live one does.
     */
    public static OpenedStream replay(List<StreamEvent> events) {
        return new OpenedStream(null, new ArrayDeque<>(events));
    }

    /** The next event: first the ones read while opening, then the upstream's; null at its end. */
    StreamEvent next() throws IOException {
        StreamEvent e = first.poll();
        return e != null || upstream == null ? e : upstream.next();
    }

    void abort() {
        if (upstream != null) {
            upstream.abort();
        }
    }

    private static GatewayException closedEarly(String provider) {
        return GatewayException.of(ErrorType.PROVIDER, "The upstream closed the stream before answering")
                .status(502).provider(provider).code("upstream_stream_empty").build();
    }
}
