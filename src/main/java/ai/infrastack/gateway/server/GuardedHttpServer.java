package ai.infrastack.gateway.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.traffic.GlobalTrafficShapingHandler;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.HttpServerImpl;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import io.vertx.core.impl.ContextInternal;
import io.vertx.core.impl.VertxInternal;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.impl.SslChannelProvider;

import java.util.function.BiConsumer;

/**
 * A Vert.x HTTP server whose HTTP/1.x connections decode requests with {@link StrictRequestDecoder}.
 * Vert.x has no option for either rule it adds, and its own decoder is created inside the server;
 * this is the one place that reaches into Vert.x internals (the server's per-connection set-up),
 * to swap the decoder before it has read a byte.
 */
final class GuardedHttpServer extends HttpServerImpl {
    private static final String DECODER = "httpDecoder";
    private final HttpServerOptions options;
    private final long readTimeoutMs;

    GuardedHttpServer(VertxInternal vertx, HttpServerOptions options, long readTimeoutMs) {
        super(vertx, options);
        this.options = new HttpServerOptions(options);
        this.readTimeoutMs = readTimeoutMs;
    }

    @Override
    protected BiConsumer<Channel, SslChannelProvider> childHandler(ContextInternal context, SocketAddress address,
                                                                   GlobalTrafficShapingHandler trafficShapingHandler) {
        BiConsumer<Channel, SslChannelProvider> vertxSetUp = super.childHandler(context, address, trafficShapingHandler);
        return (channel, ssl) -> {
            vertxSetUp.accept(channel, ssl);
            ChannelPipeline pipeline = channel.pipeline();
            if (!swapDecoder(pipeline)) {
                // With h2c on, Vert.x adds the HTTP/1.x decoder only once the first bytes show the
                // connection is not HTTP/2; this handler sits behind that check and swaps it then.
                pipeline.addLast("gatewayDecoderSwap", new DecoderSwap());
            }
        };
    }

    private boolean swapDecoder(ChannelPipeline pipeline) {
        ChannelHandler decoder = pipeline.get(DECODER);
        if (decoder instanceof VertxHttpRequestDecoder && !(decoder instanceof StrictRequestDecoder)) {
            pipeline.replace(DECODER, DECODER, new StrictRequestDecoder(options, readTimeoutMs));
            return true;
        }
        return false;
    }

    private final class DecoderSwap extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            // The decoder, if any, was just added and has seen nothing yet: the bytes pass here first.
            swapDecoder(ctx.pipeline());
            ctx.pipeline().remove(this);
            ctx.fireChannelRead(msg);
        }
    }
}
