package ai.infrastack.gateway.sandbox;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.List;

/**
 * Puts a {@link SandboxResponse} on the wire with its faults: delay before the first byte, dropped
 * connection, paced SSE frames, a stream cut mid-way or parked until released. Timers and callbacks
 * only; the event loop never blocks.
 */
final class ResponseWriter {

    private final Vertx vertx;
    private final StreamHolds holds;
    private final CallStats calls;

    ResponseWriter(Vertx vertx, StreamHolds holds, CallStats calls) {
        this.vertx = vertx;
        this.holds = holds;
        this.calls = calls;
    }

    void write(HttpServerRequest request, SandboxResponse response) {
        if (!response.isStream() && response.holdName() != null) {
            // a unary answer held whole: the caller waits with its call in flight until the test releases it
            holds.park(response.holdName(), () -> delayThenSend(request, response));
            return;
        }
        delayThenSend(request, response);
    }

    private void delayThenSend(HttpServerRequest request, SandboxResponse response) {
        if (response.delayMs() > 0) {
            vertx.setTimer(response.delayMs(), timer -> send(request, response));
        } else {
            send(request, response);
        }
    }

    private void send(HttpServerRequest request, SandboxResponse response) {
        HttpServerResponse out = request.response();
        if (out.closed() || out.ended()) {
            return;
        }
        if (response.drop() || response.isStream() && response.cutAfterFrames() == 0) {
            request.connection().close();
            return;
        }
        out.setStatusCode(response.status());
        response.headers().forEach(out::putHeader);
        if (!response.isStream()) {
            out.end(response.body()).onSuccess(v -> calls.answeredOne());
            return;
        }
        out.setChunked(true);
        writeFrames(request, out, response, 0);
    }

    /** Writes frames from {@code index}; pauses between frames when paced; cuts the connection if asked. */
    private void writeFrames(HttpServerRequest request, HttpServerResponse out, SandboxResponse response, int index) {
        List<String> frames = response.frames();
        int cutAfter = response.cutAfterFrames();
        while (index < frames.size()) {
            if (out.closed()) {
                return;
            }
            Future<Void> written = out.write(frames.get(index));
            index++;
            if (cutAfter >= 0 && index >= cutAfter) {
                // close only once the frames are flushed, and a moment later, so the client has
                // read exactly `cutAfter` of them before it sees the cut
                written.onComplete(done -> vertx.setTimer(20, t -> request.connection().close()));
                return;
            }
            if (index == response.holdAfterFrames() && index < frames.size()) {
                int next = index;
                holds.park(response.holdName(), () -> writeFrames(request, out, response, next));
                return;
            }
            if (response.frameDelayMs() > 0 && index < frames.size()) {
                int next = index;
                vertx.setTimer(response.frameDelayMs(), timer -> writeFrames(request, out, response, next));
                return;
            }
        }
        if (!out.closed()) {
            out.end().onSuccess(v -> calls.answeredOne());
        }
    }
}
