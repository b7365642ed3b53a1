package ai.infrastack.gateway.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;

import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Vert.x's HTTP/1.x request decoder with two additions. It refuses a request whose framing breaks
 * RFC 9112 ({@link RequestFraming}): the decoder marks it invalid and discards the rest of the
 * connection, so nothing smuggled behind it is ever read, and the server answers 400 and closes.
 * And it bounds how long one request may take to arrive, from its first byte to its last: a client
 * that sends a byte a second keeps an idle timeout from ever firing, never this one.
 */
final class StrictRequestDecoder extends VertxHttpRequestDecoder {
    private final long readTimeoutMs;
    private ScheduledFuture<?> readTimer;

    StrictRequestDecoder(HttpServerOptions options, long readTimeoutMs) {
        super(options);
        this.readTimeoutMs = readTimeoutMs;
    }

    @Override
    protected boolean isContentAlwaysEmpty(HttpMessage msg) {
        // Called once the headers are parsed and before Netty acts on Transfer-Encoding; an
        // exception here makes the decoder emit an invalid request and skip everything after it.
        if (msg instanceof HttpRequest) {
            RequestFraming.check(msg.headers());
        }
        return super.isContentAlwaysEmpty(msg);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
        if (readTimer == null && buffer.isReadable() && readTimeoutMs > 0) {
            readTimer = ctx.executor().schedule(() -> {
                ctx.channel().close();
            }, readTimeoutMs, TimeUnit.MILLISECONDS);
        }
        int before = out.size();
        super.decode(ctx, buffer, out);
        for (int i = before; i < out.size(); i++) {
            if (out.get(i) instanceof LastHttpContent) {
                cancelReadTimer();
            }
        }
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) throws Exception {
        cancelReadTimer();
        super.handlerRemoved0(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancelReadTimer();
        super.channelInactive(ctx);
    }

    private void cancelReadTimer() {
        if (readTimer != null) {
            readTimer.cancel(false);
            readTimer = null;
        }
    }
}
