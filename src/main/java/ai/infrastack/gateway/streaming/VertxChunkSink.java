package ai.infrastack.gateway.streaming;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A stream written straight to the client's Vert.x response, event by event. Why not hand
 * platform-http an InputStream body: Camel 4.18's platform-http-vertx pumps one through
 * {@code AsyncInputStream}, which waits for 8 KiB or the end before it writes anything — a whole
 * SSE answer would arrive in one piece at the end. Each write waits until the peer has taken the
 * bytes (backpressure), at most {@code writeTimeoutMs}: a client that stops reading is cut off
 * rather than holding the call forever.
 */
final class VertxChunkSink implements ChunkSink {
    private final HttpServerResponse response;
    private final long writeTimeoutMs;
    private final AtomicBoolean gone = new AtomicBoolean();
    private volatile Runnable onGone = () -> { };

    VertxChunkSink(HttpServerResponse response, long writeTimeoutMs) {
        this.response = response;
        this.writeTimeoutMs = writeTimeoutMs;
        response.closeHandler(v -> {
            if (gone.compareAndSet(false, true)) {
                onGone.run();
            }
        });
    }

    @Override
    public void start(int status, Map<String, Object> headers) {
        response.setStatusCode(status);
        for (Map.Entry<String, Object> header : headers.entrySet()) {
            if (header.getValue() != null && !header.getKey().startsWith("Camel")) {
                response.putHeader(header.getKey(), header.getValue().toString());
            }
        }
        response.setChunked(true);
    }

    @Override
    public void write(byte[] event) throws IOException {
        if (gone.get()) {
            throw new IOException("the client has gone");
        }
        try {
            response.write(Buffer.buffer(event)).toCompletionStage().toCompletableFuture().get(writeTimeoutMs, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new IOException("the client read nothing for " + writeTimeoutMs + " ms");
        } catch (ExecutionException e) {
            throw new IOException("the client has gone", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    @Override
    public void end(byte[] last) {
        try {
            response.end(Buffer.buffer(last));
        } catch (RuntimeException e) {
            // already closed by the client
        }
    }

    @Override
    public void abort() {
        gone.set(true);
        try {
            response.close();
        } catch (RuntimeException e) {
            // already closed
        }
    }

    @Override
    public boolean open() {
        return !gone.get();
    }

    @Override
    public void onGone(Runnable onGone) {
        this.onGone = onGone;
        if (gone.get()) {
            onGone.run();
        }
    }
}
